"""The model registry under home.models: one folder per version, `current` names the promoted one.

models/<version>/model.skops    the calibrated model and its bootstrap refits (skops, never pickle)
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
from datetime import UTC, datetime
from pathlib import Path

from pipelines.config import Home
from pipelines.warehouse import fsync_path

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "card.md"

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
    """{"model": calibrated classifier, "bootstrap": [refits]}; only TRUSTED_TYPES are built."""
    sio = _skops_io()
    return sio.load(version_dir(home, version) / MODEL_FILE, trusted=TRUSTED_TYPES)


def load_metadata(home: Home, version: str) -> dict:
    return json.loads((version_dir(home, version) / METADATA_FILE).read_text("utf-8"))


def load_current(home: Home) -> tuple[str, dict, dict]:
    """(version, bundle, metadata) of the promoted model; NoModel when there is none."""
    version = current_version(home)
    if version is None:
        raise NoModel(f"no model has been promoted in {home.models}: run `relief train` "
                      "(or `relief run`) to train one")
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"models/current names {version!r} but {version_dir(home, version)} holds "
                      "no model: run `relief train` to train a new one")
    return version, load_bundle(home, version), load_metadata(home, version)


def untrusted_in(path: Path) -> list[str]:
    """Types in a model file that TRUSTED_TYPES does not name (empty for a sound file)."""
    sio = _skops_io()
    return [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]


# --- writing ------------------------------------------------------------------------


def new_version_name(fingerprint: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{fingerprint[:8]}"


def save_version(home: Home, bundle: dict, metadata: dict) -> str:
    """Write a new version folder atomically; returns its name."""
    sio = _skops_io()
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


def promote(home: Home, version: str) -> None:
    """Point models/current at version: write a temp file, then rename over the old one."""
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"no model version {version!r} in {home.models}")
    tmp = home.current_model.with_name(f".current-{os.getpid()}")
    _write_text(tmp, version + "\n")
    os.replace(tmp, home.current_model)
    fsync_path(home.models)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


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
