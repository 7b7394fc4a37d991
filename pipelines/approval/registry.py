"""The model registry under home.models: one folder per version, `current` names the promoted one.

models/<version>/model.skops    the calibrated model and its bootstrap refits (skops, never pickle)
models/<version>/scoring.npz    the same models as plain arrays (numpy, no pickle), what the
                                guide reads: checked against model.skops when written
models/<version>/metadata.json  training window, rows, features, library versions,
                                training-data fingerprint, metrics, what the guide compares with
models/<version>/card.md        the model card
models/current                  a text file holding the promoted version's name

A version folder is written under a temporary name and renamed into place, and
`current` is replaced by rename, so a crash never leaves half a version or a
half-written pointer. This module is on the guide's import path: keep it lean.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipelines.config import Home
from pipelines.warehouse import fsync_path

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "card.md"
SCORING_FILE = "scoring.npz"
# The scoring form must reproduce model.skops's probabilities to this (absolute) on the
# rows it is checked on, or it is not written and the guide loads model.skops instead.
SCORING_TOLERANCE = 1e-9
SCORING_CHECK_ROWS = 500  # real rows; four variants of each are checked

# Every type a relief model file may contain. skops refuses to build anything else.
TRUSTED_TYPES = [
    "builtins.dict",
    # partial(check_array, ...): boosting's categorical preprocessing; skops still
    # checks the wrapped function against this list.
    "functools.partial",
    "builtins.list",
    "numpy.dtype",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.log1p",
    "numpy.ndarray",
    "pipelines.approval.features.RouteInteractions",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.preprocessing._polynomial.SplineTransformer",
    "sklearn.utils.validation.check_array",
    "scipy._lib.array_api_compat.numpy._aliases.asarray",  # held by BSpline
    "scipy.interpolate._bsplines.BSpline",
    "scipy.interpolate._interpolate.interp1d",
]


class NoModel(RuntimeError):
    """No model has been promoted in this home."""


def _skops_io():
    """skops.io, imported without two of its default-trust tables.

    Importing skops.io builds a table of every scikit-learn estimator, which imports
    all of scikit-learn (about 2 s, more than the guide's whole budget), and a table of
    every scipy.special function, which looks up the module of each of them among all
    loaded modules (pickle.whichmodule: about 0.4 s once scikit-learn is loaded). relief
    relies on neither: every load passes TRUSTED_TYPES above, which names each type
    itself. So both tables are built empty, which can only trust less, never more
    (scipy.special functions are no longer trusted by default; relief's files hold none).
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import scipy.special
    import sklearn.utils

    full_table = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []
    # dir() of a module asks its __dir__ (PEP 562): the scan then finds nothing.
    scipy.special.__dir__ = list
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = full_table
        del scipy.special.__dir__
    return skops.io


# --- reading ------------------------------------------------------------------------


def current_version(home: Home) -> str | None:
    try:
        name = home.current_model.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def version_dir(home: Home, version: str) -> Path:
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"not a model version name: {version!r}")
    return home.models / version


def load_bundle(home: Home, version: str) -> dict:
    """{"model": calibrated classifier, "bootstrap": [refits], "alternative": [the other
    candidates, calibrated]} ("alternative" absent in older versions); only TRUSTED_TYPES
    are built."""
    sio = _skops_io()
    return sio.load(version_dir(home, version) / MODEL_FILE, trusted=TRUSTED_TYPES)


def load_metadata(home: Home, version: str) -> dict:
    return json.loads((version_dir(home, version) / METADATA_FILE).read_text("utf-8"))


def load_scoring(home: Home, version: str) -> dict | None:
    """{"model": ScoringModel, "bootstrap": [ScoringModel]} from the version's scoring.npz
    (arrays only: allow_pickle=False); None when the version has none."""
    path = version_dir(home, version) / SCORING_FILE
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        return None
    alternatives = int(arrays["alternative_models"]) if "alternative_models" in arrays else 0
    return {"model": ScoringModel(arrays, "model."),
            "bootstrap": [ScoringModel(arrays, f"bootstrap.{i}.")
                          for i in range(int(arrays["bootstrap_models"]))],
            "alternative": [ScoringModel(arrays, f"alternative.{i}.")
                            for i in range(alternatives)]}


def load_current(home: Home) -> tuple[str, dict, dict]:
    """(version, bundle, metadata) of the promoted model; NoModel when there is none.

    The bundle's models answer predict_proba: from scoring.npz when the version has it
    (fast: arrays only), else the scikit-learn models of model.skops.
    """
    version = current_version(home)
    if version is None:
        raise NoModel(f"no model has been promoted in {home.models}: run `relief train` "
                      "(or `relief run`) to train one")
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"models/current names {version!r} but {version_dir(home, version)} holds "
                      "no model: run `relief train` to train a new one")
    bundle = load_scoring(home, version) or load_bundle(home, version)
    return version, bundle, load_metadata(home, version)


def untrusted_in(path: Path) -> list[str]:
    """Types in a model file that TRUSTED_TYPES does not name (empty for a sound file)."""
    sio = _skops_io()
    return [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]


# --- the scoring form ---------------------------------------------------------------
#
# Loading model.skops builds every estimator, tree and transformer of the model and of
# its bootstrap refits, one audited object at a time: for gradient boosting, thousands
# of arrays and over a second, most of the guide's budget. The guide only needs their
# probabilities for a few rows, so `relief train` also writes the same models as plain
# arrays (scoring.npz: numpy, loaded with allow_pickle=False, so nothing but arrays can
# come out of it) and ScoringModel computes the probabilities from them with numpy,
# step by step as scikit-learn does. save_version checks the two against each other and
# writes scoring.npz only when they agree (SCORING_TOLERANCE); any structure the export
# does not know is refused (UnsupportedModel) and the guide then loads model.skops.


class UnsupportedModel(ValueError):
    """A model whose structure the scoring form does not cover."""


def _kind(obj) -> str:
    return type(obj).__name__


def scoring_arrays(bundle: dict) -> dict[str, np.ndarray]:
    """The bundle's models as named arrays (scoring.npz); UnsupportedModel if one is not
    a (calibrated) boosting or logistic pipeline as train.py builds them."""
    out = {"bootstrap_models": np.array(len(bundle["bootstrap"])),
           "alternative_models": np.array(len(bundle.get("alternative", [])))}
    for model, prefix in _bundle_models(bundle):
        _export_model(model, prefix, out)
    return out


def _bundle_models(bundle: dict) -> list[tuple[object, str]]:
    """(model, scoring-array prefix) for every model of a bundle: the chosen model, its
    bootstrap refits and the other candidates (the guide's interval reads all three)."""
    return ([(bundle["model"], "model.")]
            + [(m, f"bootstrap.{i}.") for i, m in enumerate(bundle["bootstrap"])]
            + [(m, f"alternative.{i}.") for i, m in enumerate(bundle.get("alternative", []))])


def _export_model(model, p: str, out: dict) -> None:
    estimator = model
    out[p + "calibration"] = np.array("none")
    if _kind(model) == "CalibratedClassifierCV":
        if len(model.calibrated_classifiers_) != 1:
            raise UnsupportedModel("more than one calibrated classifier")
        calibrated = model.calibrated_classifiers_[0]
        if (calibrated.method not in ("sigmoid", "isotonic") or len(calibrated.calibrators) != 1
                or list(calibrated.classes) != [0, 1]):
            raise UnsupportedModel(f"calibration {calibrated.method!r}")
        calibrator = calibrated.calibrators[0]
        out[p + "calibration"] = np.array(calibrated.method)
        if calibrated.method == "sigmoid":
            out[p + "sigmoid"] = np.array([calibrator.a_, calibrator.b_], dtype=np.float64)
        else:
            if calibrator.out_of_bounds != "clip":
                raise UnsupportedModel("isotonic calibration without clipping")
            # In their own dtype: the map works in the precision it was fitted in.
            out[p + "isotonic_x"] = np.asarray(calibrator.X_thresholds_)
            out[p + "isotonic_y"] = np.asarray(calibrator.y_thresholds_)
            out[p + "isotonic_range"] = np.array([calibrator.X_min_, calibrator.X_max_],
                                                 dtype=calibrator.X_thresholds_.dtype)
        estimator = calibrated.estimator
        if _kind(estimator) == "FrozenEstimator":
            estimator = estimator.estimator
    if _kind(estimator) != "Pipeline" or list(estimator.classes_) != [0, 1]:
        raise UnsupportedModel(f"{_kind(estimator)} is not a binary pipeline")
    steps = [step for _, step in estimator.steps]
    last = steps[-1]
    if _kind(last) == "HistGradientBoostingClassifier" and len(steps) == 2:
        out[p + "kind"] = np.array("boosting")
        out[p + "columns"] = _passthrough_columns(steps[0])
        _export_boosting(last, p, out)
    elif (_kind(last) == "LogisticRegression" and len(steps) == 3
          and _kind(steps[1]) == "RouteInteractions" and last.coef_.shape[0] == 1):
        out[p + "kind"] = np.array("logistic")
        _export_blocks(steps[0], p, out)
        out[p + "interactions"] = np.array([steps[1].n_routes, steps[1].n_interacting])
        # In their own dtype (float32 when fitted on RouteInteractions' float32 output):
        # the products are then computed in the same precision as scikit-learn's.
        out[p + "coef"] = np.asarray(last.coef_)
        out[p + "intercept"] = np.asarray(last.intercept_)
    else:
        raise UnsupportedModel(f"pipeline of {[_kind(s) for s in steps]}")


def _fitted_blocks(columns) -> list[tuple[object, list[int]]]:
    if _kind(columns) != "ColumnTransformer":
        raise UnsupportedModel(f"{_kind(columns)} where a ColumnTransformer was expected")
    blocks = []
    for name, transformer, index in columns.transformers_:
        if transformer == "drop" or (name == "remainder" and not len(np.atleast_1d(index))):
            continue
        index = np.asarray(index)
        if index.dtype == bool or not len(index):
            raise UnsupportedModel(f"columns of {name!r} given as a mask or empty")
        blocks.append((transformer, [int(i) for i in index]))
    return blocks


def _passthrough_columns(columns) -> np.ndarray:
    blocks = _fitted_blocks(columns)
    if len(blocks) != 1 or not (blocks[0][0] == "passthrough" or (
            _kind(blocks[0][0]) == "FunctionTransformer" and blocks[0][0].func is None)):
        raise UnsupportedModel("the column selection is not one passthrough")
    return np.array(blocks[0][1], dtype=np.int64)


def _export_boosting(model, p: str, out: dict) -> None:
    if model.n_trees_per_iteration_ != 1:
        raise UnsupportedModel("more than one tree per iteration")
    n_features = int(model.n_features_in_)
    if model._preprocessor is None:
        order, categories = np.arange(n_features), np.empty((0, 0))
    else:
        named = model._preprocessor.named_transformers_
        categorical = np.asarray(model.is_categorical_, dtype=bool)
        kinds = [name for name, t, _ in model._preprocessor.transformers_ if t != "drop"]
        if kinds != ["encoder", "numerical"]:
            raise UnsupportedModel(f"boosting preprocessing {kinds}")
        order = np.concatenate([np.flatnonzero(categorical), np.flatnonzero(~categorical)])
        found = named["encoder"].categories_
        categories = np.full((len(found), max(len(c) for c in found)), np.nan)
        for i, values in enumerate(found):
            categories[i, : len(values)] = values
    known, feature_map = model._bin_mapper.make_known_categories_bitsets()
    trees = [iteration[0] for iteration in model._predictors]
    nodes = np.concatenate([t.nodes for t in trees])
    starts = np.cumsum([0] + [len(t.nodes) for t in trees[:-1]]).astype(np.int64)
    bitset_starts = np.cumsum([0] + [len(t.raw_left_cat_bitsets) for t in trees[:-1]])
    node_tree = np.repeat(np.arange(len(trees)), [len(t.nodes) for t in trees])
    out[p + "order"] = order.astype(np.int64)
    out[p + "categories"] = categories
    out[p + "known_categories"] = np.asarray(known, dtype=np.uint32)
    out[p + "feature_map"] = np.asarray(feature_map, dtype=np.int64)
    out[p + "baseline"] = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(())
    out[p + "roots"] = starts
    out[p + "depth"] = np.array(int(nodes["depth"].max()))
    out[p + "value"] = nodes["value"].astype(np.float64)
    out[p + "feature"] = nodes["feature_idx"].astype(np.int64)
    out[p + "threshold"] = nodes["num_threshold"].astype(np.float64)
    out[p + "missing_left"] = nodes["missing_go_to_left"].astype(bool)
    out[p + "leaf"] = nodes["is_leaf"].astype(bool)
    out[p + "categorical"] = nodes["is_categorical"].astype(bool)
    # Child and bitset indices made global across the concatenated trees.
    out[p + "left"] = nodes["left"].astype(np.int64) + starts[node_tree]
    out[p + "right"] = nodes["right"].astype(np.int64) + starts[node_tree]
    out[p + "bitset"] = nodes["bitset_idx"].astype(np.int64) + bitset_starts[node_tree]
    out[p + "left_categories"] = np.concatenate(
        [t.raw_left_cat_bitsets for t in trees]).astype(np.uint32)


def _export_blocks(columns, p: str, out: dict) -> None:
    """The logistic pipeline's ColumnTransformer: per block its columns and its steps."""
    blocks = _fitted_blocks(columns)
    out[p + "blocks"] = np.array(len(blocks))
    for b, (transformer, index) in enumerate(blocks):
        q = f"{p}block{b}."
        out[q + "columns"] = np.array(index, dtype=np.int64)
        steps = [s for _, s in transformer.steps] if _kind(transformer) == "Pipeline" \
            else [transformer]
        ops = []
        for j, step in enumerate(steps):
            op, r = _kind(step), f"{q}{j}."
            if op == "SimpleImputer" and not step.add_indicator and np.isnan(step.missing_values):
                ops.append("fill")
                out[r + "values"] = np.asarray(step.statistics_, dtype=np.float64)
            elif op == "StandardScaler":
                ops.append("scale")
                width = len(index)
                out[r + "mean"] = np.asarray(step.mean_ if step.with_mean else np.zeros(width),
                                             dtype=np.float64)
                out[r + "scale"] = np.asarray(step.scale_ if step.with_std else np.ones(width),
                                              dtype=np.float64)
            elif op == "FunctionTransformer" and step.func is np.log1p:
                ops.append("log1p")
            elif (op == "SplineTransformer" and step.extrapolation == "constant"
                  and step.include_bias and not step.sparse_output):
                ops.append("spline")
                out[r + "knots"] = np.vstack([s.t for s in step.bsplines_])
                out[r + "degree"] = np.array(int(step.degree))
                out[r + "splines"] = np.array(int(step.bsplines_[0].c.shape[1]))
            elif (op == "OneHotEncoder" and step.handle_unknown == "ignore"
                  and step.drop_idx_ is None and not step._infrequent_enabled):
                ops.append("onehot")
                out[r + "categories"] = np.concatenate(step.categories_).astype(np.float64)
                out[r + "counts"] = np.array([len(c) for c in step.categories_], dtype=np.int64)
            elif (op == "MissingIndicator" and np.isnan(step.missing_values)
                  and list(step.features_) == list(range(len(index)))):
                ops.append("isnan")
            else:
                raise UnsupportedModel(f"{op} in a logistic block")
        out[q + "ops"] = np.array(ops)


class ScoringModel:
    """One model of scoring.npz: predict_proba as the scikit-learn model it was exported
    from computes it (same steps, same order, numpy only)."""

    def __init__(self, arrays: Mapping[str, np.ndarray], prefix: str):
        self.a = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        self.kind = str(self.a["kind"])
        self.calibration = str(self.a["calibration"])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit  # loaded with scikit-learn

        X = np.asarray(X, dtype=np.float64)
        raw = self._boosting(X) if self.kind == "boosting" else self._logistic(X)
        if self.calibration == "sigmoid":
            slope, offset = self.a["sigmoid"]
            p = expit(-(slope * raw + offset))
        elif self.calibration == "isotonic":
            p = _isotonic(raw, self.a["isotonic_x"], self.a["isotonic_y"],
                          self.a["isotonic_range"])
        else:  # uncalibrated: in the model's own precision, as its predict_proba
            p = expit(raw)
        if self.calibration != "none":
            p = p.astype(np.float64)  # the calibrated classifier fills a float64 array
        return np.column_stack([1 - p, p])

    def _boosting(self, X: np.ndarray) -> np.ndarray:
        a = self.a
        X = X[:, a["columns"]][:, a["order"]]
        for j, values in enumerate(a["categories"]):
            # OrdinalEncoder: a category's position among those seen; unknown -> NaN.
            column, codes = X[:, j], np.full(len(X), np.nan)
            for code, value in enumerate(values):
                if not np.isnan(value):
                    codes[column == value] = code
            X[:, j] = codes
        # Every (row, tree) pair walks down from its root; pairs that reach a leaf leave
        # the walk, so each step only moves the pairs still inside a tree.
        n_trees = len(a["roots"])
        node = np.tile(a["roots"], len(X))
        row = np.repeat(np.arange(len(X)), n_trees)
        pair = np.arange(len(node))
        leaf_of = np.empty(len(node), dtype=np.int64)
        while len(node):
            at_leaf = a["leaf"][node]
            if at_leaf.any():
                leaf_of[pair[at_leaf]] = node[at_leaf]
                inside = ~at_leaf
                node, row, pair = node[inside], row[inside], pair[inside]
            if not len(node):
                break
            feature = a["feature"][node]
            x = X[row, feature]
            missing = np.isnan(x)
            left = np.where(missing, a["missing_left"][node], x <= a["threshold"][node])
            categorical = a["categorical"][node] & ~missing
            if categorical.any():
                at, value = node[categorical], x[categorical]
                negative = value < 0
                code = np.where(negative, 0, value).astype(np.uint32)
                word, bit = code // 32, code % 32
                in_left = (a["left_categories"][a["bitset"][at], word] >> bit) & 1
                known = (a["known_categories"][a["feature_map"][a["feature"][at]], word]
                         >> bit) & 1
                # Unknown and negative categories follow the missing-value branch.
                left[categorical] = np.where(negative | ((in_left == 0) & (known == 0)),
                                             a["missing_left"][at], in_left == 1)
            node = np.where(left, a["left"][node], a["right"][node])
        leaves = a["value"][leaf_of].reshape(len(X), n_trees)
        return a["baseline"] + leaves.sum(axis=1)

    def _logistic(self, X: np.ndarray) -> np.ndarray:
        from pipelines.approval.features import RouteInteractions

        a, parts = self.a, []
        for b in range(int(a["blocks"])):
            q = f"block{b}."
            Z = X[:, a[q + "columns"]]
            for j, op in enumerate(a[q + "ops"]):
                r = f"{q}{j}."
                if op == "fill":
                    Z = np.where(np.isnan(Z), a[r + "values"], Z)
                elif op == "scale":
                    Z = (Z - a[r + "mean"]) / a[r + "scale"]
                elif op == "log1p":
                    Z = np.log1p(Z)
                elif op == "spline":
                    Z = _splines(Z, a[r + "knots"], int(a[r + "degree"]), int(a[r + "splines"]))
                elif op == "onehot":
                    Z = _one_hot(Z, a[r + "categories"], a[r + "counts"])
                elif op == "isnan":
                    Z = np.isnan(Z).astype(np.float64)
            parts.append(Z)
        n_routes, n_interacting = (int(v) for v in a["interactions"])
        H = RouteInteractions(n_routes=n_routes, n_interacting=n_interacting).transform(
            np.hstack(parts))
        return (H @ a["coef"].T + a["intercept"]).reshape(-1)


def _isotonic(raw: np.ndarray, x: np.ndarray, y: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """IsotonicRegression.predict (out_of_bounds="clip"): clipped, then linear between
    its thresholds, in the thresholds' dtype."""
    from scipy.interpolate import interp1d  # loaded with scikit-learn

    low, high = bounds
    T = np.clip(raw.astype(x.dtype), low, high)
    if len(y) == 1:
        return y.repeat(T.shape).astype(T.dtype)
    return interp1d(x, y, kind="linear", bounds_error=False)(T).astype(T.dtype)


def _one_hot(Z: np.ndarray, categories: np.ndarray, counts: np.ndarray) -> np.ndarray:
    out, start = [], 0
    for j, count in enumerate(counts):
        values = categories[start : start + count]
        start += count
        column = Z[:, j : j + 1]
        out.append((column == values) | (np.isnan(column) & np.isnan(values)))
    return np.hstack(out).astype(np.float64)


def _splines(Z: np.ndarray, knots: np.ndarray, degree: int, n_splines: int) -> np.ndarray:
    """SplineTransformer(extrapolation="constant") from its knots: the B-spline basis
    inside the fitted range, its boundary values beyond it."""
    from scipy.interpolate import BSpline  # loaded with scikit-learn

    out = np.zeros((len(Z), Z.shape[1] * n_splines))
    basis = np.eye(n_splines)
    for j, t in enumerate(knots):
        spline = BSpline.construct_fast(t, basis, degree, extrapolate=False)
        x, block = Z[:, j], slice(j * n_splines, (j + 1) * n_splines)
        low, high = t[degree], t[-degree - 1]
        inside = (low <= x) & (x <= high)
        values = out[:, block]
        values[inside] = spline(x[inside])
        values[x < low, :degree] = spline(low)[:degree]
        values[x > high, -degree:] = spline(high)[-degree:]
        out[:, block] = values
    return out


def check_scoring(bundle: dict, arrays: Mapping[str, np.ndarray], rows: np.ndarray) -> float:
    """Largest |probability from model.skops's models - from the scoring form| over rows,
    every model of the bundle."""
    pairs = _bundle_models(bundle)
    from threadpoolctl import threadpool_limits

    worst = 0.0
    for model, prefix in pairs:
        # One thread: a few thousand rows, and OpenMP spin-waits crawl on a busy machine.
        with threadpool_limits(limits=1):
            expected = model.predict_proba(rows)[:, 1]
        got = ScoringModel(arrays, prefix).predict_proba(rows)[:, 1]
        worst = max(worst, float(np.max(np.abs(expected - got))) if len(rows) else 0.0)
    return worst


def scoring_check_rows(X: np.ndarray) -> np.ndarray:
    """Rows to check a scoring form on: real rows, the same with every non-enumeration
    unknown, far outside their range, and with unknown or unseen enumeration codes."""
    from pipelines.approval import features as F

    X = np.asarray(X, dtype=np.float64)
    X = X[np.unique(np.linspace(0, len(X) - 1, min(len(X), SCORING_CHECK_ROWS)).astype(int))]
    other = [j for j in range(X.shape[1]) if j not in F.ENUM_INDEX]
    unknown, far, odd = X.copy(), X.copy(), X.copy()
    unknown[:, other] = np.nan
    far[:, other] = far[:, other] * 1000 + 1
    for j in F.ENUM_INDEX:
        odd[:, j] = F.unknown_code(F.FEATURES[j])
    odd[1::2, [j for j in F.ENUM_INDEX if j != F.ROUTE_INDEX]] = 250.0  # a code no model has seen
    return np.vstack([X, unknown, far, odd])


# --- writing ------------------------------------------------------------------------


def new_version_name(fingerprint: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{fingerprint[:8]}"


def save_version(home: Home, bundle: dict, metadata: dict,
                 check_rows: np.ndarray | None = None) -> str:
    """Write a new version folder atomically; returns its name.

    With check_rows (encoded feature rows, e.g. the holdout), the scoring form is written
    too if it reproduces the bundle's probabilities on them (scoring_check_rows) within
    SCORING_TOLERANCE; metadata["scoring_form"] says whether it was and why.
    """
    sio = _skops_io()
    scoring, metadata = _scoring_form(bundle, check_rows, metadata)
    home.models.mkdir(parents=True, exist_ok=True)
    base = new_version_name(metadata["training_data_fingerprint"])
    version, n = base, 1
    while (home.models / version).exists():
        n += 1
        version = f"{base}-{n}"
    metadata = {**metadata, "version": version}
    tmp = home.models / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        sio.dump(bundle, tmp / MODEL_FILE)
        untrusted = untrusted_in(tmp / MODEL_FILE)
        if untrusted:
            raise RuntimeError(f"the model holds types relief does not trust: {untrusted}")
        if scoring is not None:
            _write_durably(tmp / SCORING_FILE, lambda fh: np.savez(fh, **scoring))
        _write_text(tmp / METADATA_FILE, json.dumps(metadata, indent=2, ensure_ascii=False,
                                                    default=str))
        _write_text(tmp / CARD_FILE, render_card(metadata))
        fsync_path(tmp)
        os.rename(tmp, home.models / version)
        fsync_path(home.models)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return version


def _scoring_form(bundle: dict, check_rows: np.ndarray | None,
                  metadata: dict) -> tuple[dict | None, dict]:
    """(scoring arrays or None, metadata with "scoring_form" saying which and why)."""
    if check_rows is None:
        return None, {**metadata, "scoring_form": {"file": None, "reason": "not requested"}}
    try:
        arrays = scoring_arrays(bundle)
        rows = scoring_check_rows(check_rows)
        difference = check_scoring(bundle, arrays, rows)
    except UnsupportedModel as exc:
        return None, {**metadata, "scoring_form": {"file": None, "reason": f"unsupported: {exc}"}}
    record = {"checked_rows": int(len(rows)), "max_abs_difference": difference,
              "tolerance": SCORING_TOLERANCE}
    if not difference <= SCORING_TOLERANCE:
        return None, {**metadata, "scoring_form": {
            "file": None, "reason": "differs from model.skops beyond the tolerance", **record}}
    return arrays, {**metadata, "scoring_form": {"file": SCORING_FILE, **record}}


def promote(home: Home, version: str) -> None:
    """Point models/current at version: write a temp file, then rename over the old one."""
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"no model version {version!r} in {home.models}")
    tmp = home.current_model.with_name(f".current-{os.getpid()}")
    _write_text(tmp, version + "\n")
    os.replace(tmp, home.current_model)
    fsync_path(home.models)


def _write_durably(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """write(file) into path, flushed and fsynced before it is closed."""
    with open(path, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    _write_durably(path, lambda fh: fh.write(text.encode("utf-8")))


# --- when to retrain, whether to promote, what to keep ----------------------------------

# A run (relief run, the scheduled relief-train) trains a new version when none exists,
# when the decided cases differ from what the newest version was trained on by at least
# RETRAIN_GROWTH of them, or, with any change at all, when the newest version is at least
# RETRAIN_AFTER_DAYS old. `relief train` trains whenever asked. docs/model.md.
RETRAIN_GROWTH = 0.01
RETRAIN_AFTER_DAYS = 7
# Versions kept: the current one, the newest (the retraining rule measures from it) and
# the KEEP_VERSIONS most recent; RELIEF_MODEL_VERSIONS_KEPT overrides.
KEEP_VERSIONS = 5
# Promotion compares the new and the current model on the same holdout: the mean
# per-case log-loss difference with a paired bootstrap interval (PROMOTION_RESAMPLES
# resamples of the holdout cases, PROMOTION_LEVEL coverage).
PROMOTION_RESAMPLES = 1000
PROMOTION_LEVEL = 0.95


def versions(home: Home) -> list[str]:
    """Finished version folders, oldest first (names start with their UTC time stamp)."""
    if not home.models.is_dir():
        return []
    return sorted(p.name for p in home.models.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / METADATA_FILE).exists())


def retrain_due(home: Home, decided_cases: int, now: datetime | None = None) -> tuple[bool, str]:
    """(whether a run should train, why) by the rule above, from the newest version."""
    found = versions(home)
    if not found:
        return True, "no model has been trained yet"
    newest = found[-1]
    meta = load_metadata(home, newest)
    before = int(meta["rows"]["decided_cases"])
    change = decided_cases - before
    share = abs(change) / before if before else 1.0
    age = (now or datetime.now(UTC)) - datetime.fromisoformat(meta["created_at"])
    counted = f"{change:+d} decided cases ({share:.1%}) since version {newest} was trained"
    if share >= RETRAIN_GROWTH:
        return True, f"{counted}: at least {RETRAIN_GROWTH:.0%}"
    if change and age.days >= RETRAIN_AFTER_DAYS:
        return True, f"{counted}, {age.days} days ago: at least {RETRAIN_AFTER_DAYS} days"
    return False, (f"{counted}: under {RETRAIN_GROWTH:.0%}" + (
        f" and under {RETRAIN_AFTER_DAYS} days ago" if change else "")
        + " (`relief train` trains now)")


def loss_difference(y: np.ndarray, p_new: np.ndarray, p_current: np.ndarray,
                    resamples: int = PROMOTION_RESAMPLES, seed: int = 0) -> dict:
    """Mean per-case log loss of the new model minus the current one's on the same cases,
    with a paired bootstrap interval: {"difference", "low", "high"} (negative: new better)."""
    from pipelines.approval.evaluate import EPS  # training only: off the guide's import path

    def per_case(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, EPS, 1 - EPS)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    d = per_case(np.asarray(p_new, dtype=np.float64)) - per_case(np.asarray(p_current, dtype=np.float64))
    rng = np.random.default_rng(seed)
    means = np.array([d[rng.integers(0, len(d), len(d))].mean() for _ in range(resamples)])
    tail = (1 - PROMOTION_LEVEL) / 2
    return {"difference": float(d.mean()), "low": float(np.quantile(means, tail)),
            "high": float(np.quantile(means, 1 - tail))}


def promotion(current: str | None, new_loss: float, current_loss: float | None,
              difference: dict | None, force: bool = False,
              current_error: str | None = None) -> tuple[bool, str]:
    """(promote?, why in plain words, without the verdict itself). A new model is promoted
    unless it is worse than the current one beyond the bootstrap noise (or when forced)."""
    if current is None:
        return True, "no model was promoted before"
    if current_loss is None or difference is None:
        return True, f"the current model {current} could not be scored ({current_error})"
    measured = (f"holdout log loss {new_loss:.4f} against {current_loss:.4f} for the current "
                f"model {current} on the same cases (difference {difference['difference']:+.4f}, "
                f"{PROMOTION_LEVEL:.0%} bootstrap interval {difference['low']:+.4f} to "
                f"{difference['high']:+.4f})")
    if difference["high"] < 0:
        return True, f"better: {measured}"
    if difference["low"] <= 0:
        return True, f"within noise of the current model: {measured}; the newer data wins"
    if force:
        return True, f"worse beyond noise, but --force was given: {measured}"
    return False, (f"worse beyond noise: {measured}; `relief train --force` promotes it anyway")


def prune(home: Home, keep: int | None = None) -> list[str]:
    """Delete versions beyond the current one, the newest and the `keep` most recent
    (RELIEF_MODEL_VERSIONS_KEPT, default KEEP_VERSIONS). Each is renamed to a hidden name
    first, so nothing ever sees half a version. Returns the versions deleted."""
    keep = int(os.environ.get("RELIEF_MODEL_VERSIONS_KEPT", KEEP_VERSIONS)) if keep is None else keep
    found = versions(home)
    kept = set(found[-keep:] if keep > 0 else []) | set(found[-1:]) | {current_version(home)}
    deleted = []
    for version in found:
        if version in kept:
            continue
        doomed = home.models / f".deleting-{version}"
        os.rename(home.models / version, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        deleted.append(version)
    return deleted


# --- the model card -------------------------------------------------------------------


def _f(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def strength(overall: dict, holdout_cases: int) -> str:
    """A plain statement of how much the model can be trusted, from its holdout results."""
    auc, skill = overall.get("roc_auc"), overall.get("brier_skill")
    if holdout_cases < 300 or auc is None:
        return (f"Weak: the holdout holds only {holdout_cases} decided cases, too few to "
                "measure the model reliably. Treat every estimate as a rough indication, and "
                "prefer the observed rates of similar cases where there are many.")
    if (skill is not None and skill < 0.02) or auc < 0.6:
        return (f"Weak: on recent cases it ranks requests only slightly better than chance "
                f"(ROC AUC {_f(auc)}) and improves little on each route's average rate "
                f"(Brier skill {_f(skill)}). Its estimates are close to the route averages.")
    if (skill is not None and skill < 0.10) or auc < 0.7:
        return (f"Moderate: ROC AUC {_f(auc)}, Brier skill {_f(skill)} against each route's "
                "average. It separates likelier from unlikelier requests, with wide overlap.")
    return (f"Useful: ROC AUC {_f(auc)}, Brier skill {_f(skill)} against each route's average "
            "on recent cases it never saw.")


def render_card(meta: dict) -> str:
    m = meta["metrics"]
    chosen = m["candidates"][m["chosen"]]
    overall = chosen["metrics"]["overall"]
    lines = [
        f"# Model card: relief approval model {meta['version']}",
        "",
        "## Intended use",
        "Realistic expectations for people who ask a lender for relief, and for their "
        "advisers: how often requests like theirs were granted (approved or partly approved), "
        "by each route, with the uncertainty of that estimate. It describes past lender "
        "decisions; it is not advice that a request will succeed.",
        "",
        "**Not for** automatic decisions about a person: not for granting or refusing relief, "
        "pricing, collection, scoring or ranking individuals. Lenders' past decisions may carry "
        "their biases; the model repeats them.",
        "",
        "## Strength",
        strength(overall, meta["holdout"]["cases"]),
        "",
        "## Data",
        f"- Decided cases (approved, partial, rejected) from the analysts' database: "
        f"{meta['rows']['decided_cases']}.",
        f"- Training window: {meta['trained_on']['from']} to {meta['trained_on']['to']}, "
        f"{meta['trained_on']['cases']} cases ({meta['rows']['fit']} to fit, "
        f"{meta['rows']['calibration']} to calibrate).",
        f"- Holdout (the most recent {int(meta['holdout']['share'] * 100)}% by application "
        f"date): {meta['holdout']['from']} to {meta['holdout']['to']}, "
        f"{meta['holdout']['cases']} cases.",
        f"- Label: {meta['label']}.",
        f"- Features: {', '.join(meta['features'])}. Unknown values are modelled as unknown "
        "(a category of their own or a missing indicator), never filled in silently. Nothing "
        "known only after the decision is used.",
        *_dropped_lines(meta.get("dropped_features", {})),
        f"- Training-data fingerprint: `{meta['training_data_fingerprint']}`.",
        "",
        "## Metrics (holdout)",
        f"Chosen: **{m['chosen']}** (lowest holdout log loss).",
        "",
        "| candidate | calibration | ROC AUC | log loss | Brier | Brier skill | ECE |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in m["candidates"].items():
        o = c["metrics"]["overall"]
        lines.append(f"| {name} | {c['calibration']} | {_f(o['roc_auc'])} | {_f(o['log_loss'])} "
                     f"| {_f(o['brier'])} | {_f(o['brier_skill'])} | {_f(o['ece'])} |")
    lines += ["", "Brier skill is measured against each route's base rate in the training "
              "window; ECE uses 10 equal-width bins.", "", "### Per route", "",
              "| route | cases | observed | mean predicted | ROC AUC | log loss | Brier skill "
              "| ECE |", "|---|---|---|---|---|---|---|---|"]
    lines += _group_rows(chosen["metrics"]["by_route"])
    lines += ["", "### Calibration table (overall)", "",
              "| predicted | cases | mean predicted | observed |", "|---|---|---|---|"]
    for row in overall["calibration"]:
        lines.append(f"| {row['bin'][0]:.1f}-{row['bin'][1]:.1f} | {row['cases']} | "
                     f"{row['mean_predicted']:.3f} | {row['observed_rate']:.3f} |")
    lines += ["", "## Group results", ""]
    for key, title in (("age_band", "Age band"), ("region", "Region")):
        gap = chosen["metrics"]["largest_calibration_gap"][key]
        lines += [f"### {title}", "",
                  "| group | cases | observed | mean predicted | ROC AUC | log loss | Brier skill "
                  "| ECE |", "|---|---|---|---|---|---|---|---|"]
        lines += _group_rows(chosen["metrics"][f"by_{key}"])
        if gap:
            hi, lo = gap["most_overestimated"], gap["most_underestimated"]
            lines += ["", f"Largest calibration gap between {title.lower()} groups: "
                      f"{gap['difference']:.3f} (mean predicted minus observed is "
                      f"{hi['mean_predicted_minus_observed']:+.3f} for {hi['group']}, "
                      f"{hi['cases']} cases, and {lo['mean_predicted_minus_observed']:+.3f} for "
                      f"{lo['group']}, {lo['cases']} cases; groups with at least "
                      f"{gap['min_cases']} holdout cases compared)."]
        lines.append("")
    lines += [
        "## Limits",
        "- It learns from lenders' recorded decisions only; requests never recorded, and "
        "reasons a lender did not record, are invisible to it.",
        "- Cases differ from what it saw when their values lie outside the training range; "
        "the guide warns about such inputs.",
        "- Age band and region are not features; the group results above show how well "
        "calibrated it is for each group.",
        "- The 90% interval reflects the uncertainty of the estimate from limited data "
        f"({meta['rows']['bootstrap_refits']} bootstrap refits), not the chance of one "
        "person's outcome, which is either granted or not.",
        "",
        f"Libraries: {', '.join(f'{k} {v}' for k, v in meta['library_versions'].items())}.",
        "",
    ]
    return "\n".join(lines)


def _dropped_lines(dropped: dict) -> list[str]:
    if not dropped:
        return []
    return ["- Not used, because they carry no information in the training data: "
            + "; ".join(f"{name} ({why})" for name, why in dropped.items())
            + ". The guide warns when a value is given for one of them."]


def _group_rows(groups: dict) -> list[str]:
    rows = []
    for name, s in groups.items():
        if not s.get("cases"):
            continue
        rows.append(f"| {name} | {s['cases']} | {_f(s['observed_rate'])} | "
                    f"{_f(s['mean_predicted'])} | {_f(s['roc_auc'])} | {_f(s['log_loss'])} | "
                    f"{_f(s['brier_skill'])} | {_f(s['ece'])} |")
    return rows
