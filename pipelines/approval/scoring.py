"""The scoring form of a model bundle (scoring.npz): the same models as plain numpy
arrays, and ScoringModel, which computes their probabilities from those arrays.

Loading model.skops builds every estimator, tree and transformer of the model and of
its bootstrap refits, one audited object at a time: for gradient boosting, thousands
of arrays and over a second, most of the guide's budget. The guide only needs their
probabilities for a few rows, so `relief train` also writes the same models as plain
arrays (scoring.npz: numpy, loaded with allow_pickle=False, so nothing but arrays can
come out of it) and ScoringModel computes the probabilities from them with numpy,
step by step as scikit-learn does. registry.save_version checks the two against each other and
writes scoring.npz only when they agree (SCORING_TOLERANCE); any structure the export
does not know is refused (UnsupportedModel) and the guide then loads model.skops.

This module is on the guide's import path: numpy at import, scipy and scikit-learn
pieces only inside the functions that need them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# The scoring form must reproduce model.skops's probabilities to this (absolute) on the
# rows it is checked on, or it is not written and the guide loads model.skops instead.
SCORING_TOLERANCE = 1e-9
SCORING_CHECK_ROWS = 500  # real rows; four variants of each are checked
# Boosting rows are walked through the trees in numpy, in chunks that keep the walk's
# arrays small; from COMPILED_MIN_ROWS rows on (a batch of profiles), by scikit-learn's
# compiled tree predictor instead, which gives the same leaves (ScoringModel._boosting).
NUMPY_CHUNK_ROWS = 1024
COMPILED_MIN_ROWS = 2_000
COMPILED_CHUNK_ROWS = 16_384


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
        self._compiled = False  # boosting's trees for the compiled predictor, once built

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
        trees = self._compiled_trees() if len(X) >= COMPILED_MIN_ROWS else None
        chunk = COMPILED_CHUNK_ROWS if trees else NUMPY_CHUNK_ROWS
        # Each row's leaf value in every tree, summed per row in tree order: the same
        # matrix and the same sum whichever walk filled it (tests hold them equal).
        parts = [self._leaves_compiled(X[i:i + chunk], trees) if trees
                 else self._leaves(X[i:i + chunk]) for i in range(0, len(X), chunk)]
        leaves = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return a["baseline"] + leaves.sum(axis=1)

    def _leaves(self, X: np.ndarray) -> np.ndarray:
        """(rows, trees) leaf values, walked in numpy. Every (row, tree) pair walks down
        from its root; pairs that reach a leaf leave the walk, so each step only moves
        the pairs still inside a tree."""
        a = self.a
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
        return a["value"][leaf_of].reshape(len(X), n_trees)

    def _compiled_trees(self):
        """Each tree as scikit-learn's predictor reads it (its node records, child
        indices local to the tree), or None when that predictor cannot be imported.
        Importing it costs about 0.2 s (it imports sklearn.ensemble), so the guide uses it
        only for many rows (COMPILED_MIN_ROWS); on them it is some ten times faster."""
        if self._compiled is not False:
            return self._compiled
        try:
            from sklearn.ensemble._hist_gradient_boosting._predictor import (
                _predict_from_raw_data,
            )
            from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
        except ImportError:  # a scikit-learn without it: the numpy walk answers the same
            self._compiled = None
            return None
        a = self.a
        starts = a["roots"]
        tree_of = np.searchsorted(starts, np.arange(len(a["value"])), side="right") - 1
        nodes = np.zeros(len(a["value"]), dtype=PREDICTOR_RECORD_DTYPE)
        nodes["value"], nodes["feature_idx"] = a["value"], a["feature"]
        nodes["num_threshold"], nodes["missing_go_to_left"] = a["threshold"], a["missing_left"]
        nodes["is_leaf"], nodes["is_categorical"] = a["leaf"], a["categorical"]
        leaf = a["leaf"]
        nodes["left"] = np.where(leaf, 0, a["left"] - starts[tree_of])
        nodes["right"] = np.where(leaf, 0, a["right"] - starts[tree_of])
        # Bitset indices stay global: every tree reads the concatenated bitsets.
        nodes["bitset_idx"] = np.where(a["categorical"], a["bitset"], 0)
        ends = np.append(starts[1:], len(nodes))
        self._compiled = (_predict_from_raw_data,
                         [nodes[start:end] for start, end in zip(starts, ends, strict=True)],
                         np.ascontiguousarray(a["left_categories"], dtype=np.uint32),
                         np.ascontiguousarray(a["known_categories"], dtype=np.uint32),
                         np.ascontiguousarray(a["feature_map"], dtype=np.uint32))
        return self._compiled

    def _leaves_compiled(self, X: np.ndarray, compiled) -> np.ndarray:
        """(rows, trees) leaf values, each tree walked by scikit-learn's compiled
        predictor on one thread (the rows as its _preprocessor would give them)."""
        predict, trees, left_categories, known, feature_map = compiled
        X = np.ascontiguousarray(X)
        leaves = np.empty((len(X), len(trees)))
        out = np.empty(len(X))
        for t, nodes in enumerate(trees):
            predict(nodes, X, left_categories, known, feature_map, 1, out)
            leaves[:, t] = out
        return leaves


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
