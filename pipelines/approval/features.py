"""Model features: which contract columns enter the model and how they become numbers.

One numeric matrix serves every candidate. Unknown stays unknown:
- enumerations (route, product, channel, hardship_reason) become codes in the
  contract's order, with one extra code for `unknown`: an explicit category;
- booleans become 0 / 1, or NaN when unknown;
- counts and amounts stay as numbers, NaN when unknown.
Each candidate then states how it models NaN (a missing branch in gradient
boosting, a missing indicator in logistic regression); nothing is filled in
silently. The encoding is plain numpy so the guide can use it without polars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from pipelines import contract

ENUM_FEATURES = ("route", "product", "channel", "hardship_reason")
BOOLEAN_FEATURES = (
    "broke_prior_agreement", "doc_income_proof", "doc_bank_statement", "doc_hardship_evidence",
)
NUMERIC_FEATURES = (
    "outstanding_amount", "overdue_days", "prior_overdues_12m", "good_history_months",
    "requested_months",
)
FEATURES = ENUM_FEATURES + BOOLEAN_FEATURES + NUMERIC_FEATURES
LABEL = "granted"

# Every feature is a contract column known when the request is made.
for _name in FEATURES:
    if _name not in contract.BY_NAME or contract.BY_NAME[_name].post_decision:
        raise RuntimeError(f"{_name} cannot be a model feature")


def categories(name: str) -> tuple[str, ...]:
    """The values of an enumerated feature in code order; the last one is `unknown`."""
    return tuple(contract.BY_NAME[name].enum) + (contract.UNKNOWN,)


def unknown_code(name: str) -> int:
    return len(contract.BY_NAME[name].enum)


def enum_codes(name: str) -> dict[str, int]:
    """An enumerated feature's contract values -> codes (anything else: unknown_code)."""
    return {value: code for code, value in enumerate(contract.BY_NAME[name].enum)}


ENUM_INDEX = tuple(FEATURES.index(n) for n in ENUM_FEATURES)
BOOLEAN_INDEX = tuple(FEATURES.index(n) for n in BOOLEAN_FEATURES)
NUMERIC_INDEX = tuple(FEATURES.index(n) for n in NUMERIC_FEATURES)
ROUTE_INDEX = FEATURES.index("route")
ROUTES = tuple(contract.ROUTES)


def _as_array(values: Any) -> np.ndarray:
    """Column values (a sequence, ndarray or numpy masked array) -> plain ndarray, None for null."""
    if isinstance(values, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(values)
        out = np.asarray(values.data, dtype=object)
        out[mask] = None
        return out
    arr = np.asarray(values, dtype=object)
    return arr.reshape(-1) if arr.ndim == 0 else arr


def encode_enum(name: str, values: Any) -> np.ndarray:
    """Enumeration values -> codes; null or a value outside the contract -> the unknown code."""
    arr = _as_array(values)
    if not len(arr):
        return np.empty(0)
    text = np.where(_is_null(arr), "", arr).astype(str)
    uniques, inverse = np.unique(text, return_inverse=True)
    lookup = enum_codes(name)
    codes = np.array([lookup.get(u, unknown_code(name)) for u in uniques], dtype=np.float64)
    return codes[inverse.reshape(-1)]


def _is_null(arr: np.ndarray) -> np.ndarray:
    # None equals only None; NaN is the one value unequal to itself.
    return np.asarray(np.equal(arr, None) | (arr != arr), dtype=bool)


def encode_number(values: Any) -> np.ndarray:
    """Numbers or booleans -> float, NaN for null."""
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.filled(values.astype(np.float64), np.nan)
    arr = _as_array(values)
    null = _is_null(arr)
    out = np.full(len(arr), np.nan)
    if (~null).any():
        out[~null] = arr[~null].astype(np.float64)
    return out


def encode(columns: Mapping[str, Any]) -> np.ndarray:
    """Columns by contract name (arrays, masked arrays or lists) -> feature matrix (rows x FEATURES).

    A missing column counts as unknown for every row.
    """
    n = _length(columns)
    matrix = np.empty((n, len(FEATURES)), dtype=np.float64)
    for j, name in enumerate(FEATURES):
        values = columns.get(name)
        if values is None:
            values = [None] * n
        if name in ENUM_FEATURES:
            matrix[:, j] = encode_enum(name, values)
        else:
            matrix[:, j] = encode_number(values)
    return matrix


def encode_profiles(profiles: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Profiles (contract names -> value or None) -> feature rows, encoded in one pass."""
    return encode({name: [p.get(name) for p in profiles] for name in FEATURES})


def encode_profile(profile: Mapping[str, Any]) -> np.ndarray:
    """One profile -> a one-row feature matrix."""
    return encode_profiles([profile])


def uninformative(X: np.ndarray) -> dict[str, str]:
    """Features that carry no information in these rows -> why: unknown in every row, or
    one and the same value in every row (unknown counted as a value, so a column that is
    known in some rows and unknown in others is kept). Models leave them out."""
    out = {}
    for j, name in enumerate(FEATURES):
        col = X[:, j]
        unknown = np.isnan(col)
        if unknown.all():
            out[name] = "unknown in every training case"
        elif not unknown.any() and col.min() == col.max():
            value = col[0]
            if name in ENUM_FEATURES:
                shown = categories(name)[int(value)]
            elif name in BOOLEAN_FEATURES:
                shown = "yes" if value else "no"
            else:
                shown = f"{value:g}"
            out[name] = f"the same value ({shown}) in every training case"
    return out


def kept_index(dropped: Mapping[str, str] | None = None) -> tuple[int, ...]:
    """Column indices (into FEATURES) of the features a model uses."""
    return tuple(j for j, name in enumerate(FEATURES) if name not in (dropped or {}))


def _length(columns: Mapping[str, Any]) -> int:
    for values in columns.values():
        if values is not None:
            return len(values)
    return 0


class RouteInteractions(TransformerMixin, BaseEstimator):
    """Appends route x feature products, so a linear model gets a slope per route.

    Input columns: the route's one-hot (n_routes), then the block that interacts
    (n_interacting), then anything else. Output: the input, then for each route its
    indicator times the interacting block. The shared block plus per-route copies,
    under an L2 penalty, shrinks each route's slope toward the common one.
    """

    def __init__(self, n_routes: int = len(categories("route")), n_interacting: int = 0):
        self.n_routes = n_routes
        self.n_interacting = n_interacting

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        X = np.asarray(X, dtype=np.float32)
        route = X[:, : self.n_routes]
        block = X[:, self.n_routes : self.n_routes + self.n_interacting]
        products = (route[:, :, None] * block[:, None, :]).reshape(len(X), -1)
        return np.hstack([X, products])
