"""model.skops: a bundle of scikit-learn models in skops's form, built back only from the
types relief trusts (skops, never pickle).

The trust list and the import of skops that serves it live here, beside the only
loading and writing of model files; the registry (registry.py) decides where the file
goes. This module is on the guide's import path: skops is imported only when a model
file is read or written.
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def load(path: Path) -> dict:
    """The bundle in a model file; skops builds only TRUSTED_TYPES."""
    return _skops_io().load(path, trusted=TRUSTED_TYPES)


def dump(bundle: dict, path: Path) -> None:
    """Write bundle to path, refusing (RuntimeError) a model holding an untrusted type:
    a file relief could not load again."""
    _skops_io().dump(bundle, path)
    untrusted = untrusted_in(path)
    if untrusted:
        raise RuntimeError(f"the model holds types relief does not trust: {untrusted}")


def untrusted_in(path: Path) -> list[str]:
    """Types in a model file that TRUSTED_TYPES does not name (empty for a sound file)."""
    return [t for t in _skops_io().get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
