"""The scoring form (scoring.npz): the same probabilities as the scikit-learn
models it is exported from, arrays only, and refused when it cannot be exact."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipelines.approval import candidates, registry, scoring
from pipelines.approval import features as F
from pipelines.config import Home


def feature_rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Encoded rows with unknowns everywhere they may occur, and labels from a known rule."""
    rng = np.random.default_rng(seed)
    X = np.empty((n, len(F.FEATURES)))
    for j, name in enumerate(F.FEATURES):
        if name in F.ENUM_FEATURES:
            X[:, j] = rng.integers(0, len(F.categories(name)), n)
        elif name in F.BOOLEAN_FEATURES:
            X[:, j] = np.where(rng.random(n) < 0.2, np.nan, rng.integers(0, 2, n))
        else:
            X[:, j] = np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(3, 1.5, n).round())
    overdue = np.nan_to_num(X[:, F.FEATURES.index("overdue_days")], nan=30.0)
    logit = 0.4 * X[:, F.ROUTE_INDEX] - 0.01 * overdue + np.nan_to_num(X[:, 5], nan=0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return X, y


@pytest.mark.parametrize(("candidate", "method", "dropped"), [
    ("logistic_regression", "sigmoid", {}),
    ("logistic_regression", "isotonic", {"channel": "left out"}),
    ("logistic_regression", None, {}),
    ("logistic_regression, shared curves", "sigmoid", {}),
    ("gradient_boosting", "sigmoid", {}),
    ("gradient_boosting", "isotonic", {"outstanding_amount": "left out"}),
    ("gradient_boosting", None, {}),
])
def test_scoring_form_gives_the_models_probabilities(candidate, method, dropped):
    X, y = feature_rows(1_500, seed=1)
    X_cal, y_cal = feature_rows(400, seed=2)
    kept = F.kept_index(dropped)
    base = (candidates.make_logistic(kept, route_curves="shared" not in candidate)
            if candidate.startswith("logistic_regression")
            else candidates.make_boosting(len(X), kept)).fit(X, y)
    model = candidates.calibrate(base, X_cal, y_cal, method) if method else base
    refit = candidates.calibrate(base, X_cal[:200], y_cal[:200], method) if method else base
    bundle = {"model": model, "bootstrap": [refit]}
    arrays = scoring.scoring_arrays(bundle)
    assert all(a.dtype != object for a in arrays.values())
    rows = scoring.scoring_check_rows(feature_rows(300, seed=3)[0])
    assert len(rows) == 1_200 and np.isnan(rows).any()
    for fitted, prefix in ((model, "model."), (refit, "bootstrap.0.")):
        expected = fitted.predict_proba(rows)
        got = scoring.ScoringModel(arrays, prefix).predict_proba(rows)
        assert got.shape == expected.shape
        assert np.max(np.abs(got - expected)) <= scoring.SCORING_TOLERANCE
    assert scoring.check_scoring(bundle, arrays, rows) <= scoring.SCORING_TOLERANCE


def test_an_unsupported_model_is_refused():
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    X, y = feature_rows(50, seed=4)
    with pytest.raises(scoring.UnsupportedModel):
        scoring.scoring_arrays({"model": Pipeline([("m", DummyClassifier())]).fit(X, y),
                                 "bootstrap": []})


def small_bundle() -> tuple[dict, np.ndarray]:
    X, y = feature_rows(600, seed=5)
    model = candidates.calibrate(candidates.make_logistic().fit(X, y), *feature_rows(200, seed=6), "sigmoid")
    return {"model": model, "bootstrap": [model]}, X


def metadata() -> dict:
    """The least save_version needs besides what render_card reads."""
    overall = {k: 0.1 for k in ("roc_auc", "log_loss", "brier", "brier_skill", "ece")}
    candidate = {"calibration": "sigmoid", "metrics": {
        "overall": {**overall, "calibration": []}, "by_route": {}, "by_age_band": {},
        "by_region": {}, "largest_calibration_gap": {"age_band": None, "region": None}}}
    return {
        "training_data_fingerprint": "ab" * 32, "metrics": {
            "chosen": "logistic_regression", "candidates": {"logistic_regression": candidate}},
        "holdout": {"cases": 10, "from": "2024-01-01", "to": "2024-02-01", "share": 0.2},
        "trained_on": {"cases": 40, "from": "2023-01-01", "to": "2023-12-31"},
        "rows": {k: 1 for k in ("decided_cases", "fit", "calibration", "bootstrap_refits")},
        "label": "granted", "features": list(F.FEATURES), "library_versions": {},
    }


def test_save_version_writes_a_checked_scoring_form_that_the_guide_loads(tmp_path):
    home = Home.resolve(tmp_path)
    bundle, X = small_bundle()
    version = registry.save_version(home, bundle, metadata(), check_rows=X)
    registry.promote(home, version)
    folder = home.models / version
    record = json.loads((folder / registry.METADATA_FILE).read_text("utf-8"))["scoring_form"]
    assert record["file"] == registry.SCORING_FILE and record["checked_rows"] == 4 * 500
    assert record["max_abs_difference"] <= scoring.SCORING_TOLERANCE
    with np.load(folder / registry.SCORING_FILE, allow_pickle=False) as npz:
        assert "model.kind" in npz.files
    _, loaded, _ = registry.load_current(home)
    assert isinstance(loaded["model"], scoring.ScoringModel) and len(loaded["bootstrap"]) == 1
    expected = bundle["model"].predict_proba(X)[:, 1]
    assert np.max(np.abs(loaded["model"].predict_proba(X)[:, 1] - expected)) <= 1e-9


def test_without_a_scoring_form_the_guide_loads_model_skops(tmp_path, monkeypatch):
    home = Home.resolve(tmp_path)
    bundle, X = small_bundle()
    monkeypatch.setattr(registry, "SCORING_TOLERANCE", -1.0)  # nothing can agree this well
    version = registry.save_version(home, bundle, metadata(), check_rows=X)
    registry.promote(home, version)
    folder = home.models / version
    assert not (folder / registry.SCORING_FILE).exists()
    record = json.loads((folder / registry.METADATA_FILE).read_text("utf-8"))["scoring_form"]
    assert record["file"] is None and "differs" in record["reason"]
    _, loaded, _ = registry.load_current(home)
    assert type(loaded["model"]).__name__ == "CalibratedClassifierCV"


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", None])
def test_the_compiled_tree_walk_gives_exactly_the_numpy_walks_probabilities(method,
                                                                             monkeypatch):
    X, y = feature_rows(1_500, seed=1)
    X_cal, y_cal = feature_rows(400, seed=2)
    base = candidates.make_boosting(len(X)).fit(X, y)
    model = candidates.calibrate(base, X_cal, y_cal, method) if method else base
    arrays = scoring.scoring_arrays({"model": model, "bootstrap": []})
    # Unknown, far-out and never-seen values too; enough rows for the compiled walk.
    rows = np.vstack([scoring.scoring_check_rows(feature_rows(600, seed=3)[0])] * 2)
    assert len(rows) >= scoring.COMPILED_MIN_ROWS
    compiled = scoring.ScoringModel(arrays, "model.")
    assert compiled._compiled_trees() is not None
    fast = compiled.predict_proba(rows)
    monkeypatch.setattr(scoring, "COMPILED_MIN_ROWS", 10**9)
    plain = scoring.ScoringModel(arrays, "model.").predict_proba(rows)
    assert np.array_equal(fast, plain)
    assert np.max(np.abs(fast - model.predict_proba(rows))) <= scoring.SCORING_TOLERANCE
