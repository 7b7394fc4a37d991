"""Realistic expectations for one profile or many: `relief guide`, expectations() and
expectations_for_rows() (docs/model.md).

For the route asked and every other route: the calibrated probability of approval
(full or partial), a 90% interval for that estimate (widened where the profile lies
beyond what the model saw, which is scored at the data's edge), the decided past cases
like this one and their observed rate, the factors that move the estimate away from the
route's typical case, warnings (English or Chinese: wording.py), and a two-sentence
summary in both languages. Guide loads a model once and answers many profiles in batches.

Interactive and cold-started: imports stay lean (no polars, Prefect, skops), the models
load through registry: from the version's scoring.npz (arrays only, checked against
model.skops when written), else from model.skops (skops, explicit trusted types).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipelines import contract, warehouse
from pipelines.approval import features as F
from pipelines.approval import registry, scoring, wording
from pipelines.config import SQL_DIR, Home

SIMILAR_CASES_SQL = SQL_DIR / "model" / "similar_cases.sql"
FACTOR_MIN_EFFECT = 0.01  # one percentage point
MAX_FACTORS = 5
FEW_SIMILAR_CASES = 30
FEW_CATEGORY_CASES = 30
FEW_ROUTE_CASES = 100


class ProfileError(ValueError):
    """The profile cannot be read (an unknown route, a negative amount, ...)."""


# --- the profile ------------------------------------------------------------------


def check_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile restricted to model features, values checked against the contract.

    Missing keys, None and empty text mean unknown. route and product are required.
    Values may be typed (bool, numbers) or text as in a case file ("true", "是", "45").
    """
    out: dict[str, Any] = {}
    for name in F.FEATURES:
        value = parse_value(name, profile.get(name))
        if value is None and contract.BY_NAME[name].required:
            raise ProfileError(f"{name} is required")
        out[name] = value
    return out


def parse_value(name: str, value: Any) -> Any:
    """One case value by the contract: an enumeration's canonical value (any accepted
    spelling, Chinese labels included), True/False, or a number within the column's
    bounds; None for unknown. ProfileError says what is allowed."""
    column = contract.BY_NAME[name]
    if value is None or (isinstance(value, float) and math.isnan(value)) or (
            isinstance(value, str) and not value.strip()):
        return None
    if column.enum:
        spelled = contract.enum_spellings(column.enum).get(str(value).strip().lower())
        if spelled is None:
            raise ProfileError(f"{name} must be one of {', '.join(column.enum)}; got {value!r}")
        return spelled
    if column.kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in contract.TRUE_SPELLINGS:
            return True
        if text in contract.FALSE_SPELLINGS:
            return False
        raise ProfileError(f"{name} must be true or false; got {value!r}")
    if isinstance(value, bool):
        raise ProfileError(f"{name} must be a number; got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProfileError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise ProfileError(f"{name} must be a finite number; got {value!r}")
    if column.kind == "integer" and not number.is_integer():
        raise ProfileError(f"{name} must be a whole number; got {value!r}")
    if column.minimum is not None and number < column.minimum:
        raise ProfileError(f"{name} must be at least {column.minimum}; got {value!r}")
    if column.maximum is not None and number > column.maximum:
        raise ProfileError(f"{name} must be at most {column.maximum}; got {value!r}")
    return number


# --- the model's answers ------------------------------------------------------------


def _positive(model, X: np.ndarray) -> np.ndarray:
    if isinstance(model, scoring.ScoringModel):  # numpy (or the compiled tree walk for
        return model.predict_proba(X)[:, 1]     # many rows): no thread pools
    # One thread: a handful of rows, and OpenMP spin-waits are slow on a busy machine.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return model.predict_proba(X)[:, 1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def intervals(p: np.ndarray, refit_predictions: list[np.ndarray], refit_rows: int,
              model_rows: int, alternative_predictions: list[np.ndarray] | None = None,
              extra: np.ndarray | None = None) -> np.ndarray | None:
    """90% intervals (rows x 2) on the logit scale around p (docs/model.md, "The 90%
    interval"), three sources of uncertainty combined in quadrature:
    - estimation: t times the bootstrap refits' standard deviation, scaled by sqrt(m / n)
      when the refits saw m of the n fitting rows (m-out-of-n bootstrap); t is Student's
      95th percentile with (refits - 1) degrees of freedom, as a spread measured from a
      few refits is itself uncertain;
    - the bootstrap's bias estimate: the refits' mean minus p;
    - model form: how far the other candidate (as calibrated) is from p, where two
      reasonable models fitted to the same data disagree, the data do not settle it.
    `extra` (logit units per row) is added to the half-width: the widening beyond the
    data (beyond_the_data). None with fewer than 2 refits."""
    if len(refit_predictions) < 2:
        return None
    from scipy.stats import t as student_t  # already loaded by scikit-learn

    multiplier = float(student_t.ppf(0.95, df=len(refit_predictions) - 1))
    centre = _logit(p)
    refits = _logit(np.vstack(refit_predictions))
    spread = np.std(refits, axis=0, ddof=1) * math.sqrt(refit_rows / max(model_rows, refit_rows))
    bias = refits.mean(axis=0) - centre
    variance = (multiplier * spread) ** 2 + bias ** 2
    for other in alternative_predictions or []:
        variance = variance + (_logit(other) - centre) ** 2
    half = np.sqrt(variance) + (0.0 if extra is None else extra)
    return np.column_stack([_expit(centre - half), _expit(centre + half)])


@dataclass
class Edge:
    """Where one feature row leaves what the model saw for its route."""
    clamped: list[tuple[str, float, float]] = field(default_factory=list)  # name, given, used
    rare: list[tuple[str, str, int]] = field(default_factory=list)  # name, value, cases seen
    unseen: list[str] = field(default_factory=list)  # features never known for this route
    no_route: bool = False  # no decided case of this route at all


def beyond_the_data(model, meta: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                               list[Edge]]:
    """(rows to score, extra logit half-width per row, what was beyond) for feature rows.

    A number outside its route's robust range (0.5% to 99.5% quantiles of the training
    window) is scored at the nearest boundary; the interval widens by how much that
    feature moved the estimate across the whole range it saw (the logit span over five
    points from one boundary to the other), times how far beyond the value lies relative
    to that range's width on the model's log scale, at least once: beyond the data the
    trend may go on, stop or turn. A category with fewer than FEW_CATEGORY_CASES cases in
    the route widens the interval by the span over the route's well-seen categories. A
    feature never (or almost never) known for the route is scored as unknown.
    """
    X = X.copy()
    stats_by_route = meta.get("profile_stats", {})
    dropped = meta.get("dropped_features", {})
    routes = F.categories("route")
    edges = [Edge() for _ in range(len(X))]
    spans: list[tuple[int, int, float, np.ndarray]] = []  # row, column, times, values
    route_of = X[:, F.ROUTE_INDEX].astype(int)
    for code, route in enumerate(routes):
        at = np.flatnonzero(route_of == code)
        stats = stats_by_route.get(route)
        if not len(at):
            continue
        if stats is None:
            for i in at:
                edges[i].no_route = True
            continue
        # Feature by feature over the route's rows; only rows beyond the data loop.
        for j, name in enumerate(F.FEATURES):
            entry = stats.get(name)
            if name == "route" or name in dropped or entry is None:
                continue
            column = X[at, j]
            known = ~np.isnan(column)
            if name in F.ENUM_FEATURES:
                counts = np.array([entry["counts"].get(c, 0) for c in F.categories(name)])
                codes_seen = np.where(known, column, F.unknown_code(name)).astype(int)
                rare = known & (counts[codes_seen] < FEW_CATEGORY_CASES) & (
                    codes_seen != F.unknown_code(name))
                well_seen = np.array([F.enum_codes(name)[c] for c, k in entry["counts"].items()
                                      if k >= FEW_CATEGORY_CASES and c != contract.UNKNOWN],
                                     dtype=float)
                for i, value_code in zip(at[rare], codes_seen[rare], strict=True):
                    edges[i].rare.append((name, F.categories(name)[value_code],
                                          int(counts[value_code])))
                    if len(well_seen):
                        spans.append((i, j, 1.0, well_seen))
            elif name in F.NUMERIC_FEATURES:
                if entry.get("known_cases", 0) < FEW_CATEGORY_CASES or entry.get("low") is None:
                    for i in at[known]:
                        edges[i].unseen.append(name)
                    X[at[known], j] = np.nan
                    continue
                low, high = entry["low"], entry["high"]
                beyond = known & ((column < low) | (column > high))
                width = math.log1p(high) - math.log1p(low)
                grid = np.expm1(np.linspace(math.log1p(low), math.log1p(high), 5))
                for i in at[beyond]:
                    value = float(X[i, j])
                    used = min(max(value, low), high)
                    edges[i].clamped.append((name, value, used))
                    X[i, j] = used
                    times = abs(math.log1p(value) - math.log1p(used)) / width if width > 0 else 1.0
                    spans.append((i, j, max(1.0, times), grid))
    extra = np.zeros(len(X))
    if spans:
        # Built after every value of the row is at the edge it is scored at.
        grids = []
        for i, j, _, values in spans:
            grid = np.repeat(X[i:i + 1], len(values), axis=0)
            grid[:, j] = values
            grids.append(grid)
        logits = _logit(_positive(model, np.vstack(grids)))
        start = 0
        for (i, _, times, values) in spans:
            span = logits[start:start + len(values)]
            start += len(values)
            extra[i] += times * float(span.max() - span.min())
    return X, extra, edges


def estimates(bundle: dict, meta: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Feature rows -> (calibrated probabilities, 90% intervals or None), as the guide
    answers them: values beyond the data scored at its edge, the interval widened."""
    p, bounds, _, _ = scored(bundle, meta, X)
    return p, bounds


def scored(bundle: dict, meta: dict, X: np.ndarray):
    """(probabilities, intervals or None, edges, the rows as scored) for feature rows."""
    X, extra, edges = beyond_the_data(bundle["model"], meta, X)
    p = _positive(bundle["model"], X)
    refit_predictions = [_positive(m, X) for m in bundle["bootstrap"]]
    alternative = [_positive(m, X) for m in bundle.get("alternative", [])]
    rows = meta["rows"]
    bounds = intervals(p, refit_predictions, rows["bootstrap_rows_per_refit"],
                       rows.get("fit_used_by_chosen_model", rows["fit"]), alternative, extra)
    if bounds is not None:
        for i, edge in enumerate(edges):
            if edge.no_route:
                bounds[i] = (0.0, 1.0)
    return p, bounds, edges, X


# --- factors ------------------------------------------------------------------------


def _decode(name: str, code: float) -> Any:
    """An encoded feature value back in profile terms (None: unknown)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    if name in F.ENUM_FEATURES:
        return None if int(code) == F.unknown_code(name) else F.categories(name)[int(code)]
    if name in F.BOOLEAN_FEATURES:
        return bool(round(code))
    return float(code)


def _typical_code(name: str, stats: dict) -> float:
    """The route's typical value of a feature, encoded (NaN: unknown)."""
    entry = stats.get(name)
    if entry is None or entry.get("typical") is None:
        return np.nan
    return float(entry["typical"])


def typical_row(stats: dict) -> np.ndarray:
    """The route's typical value of every feature, encoded (NaN: unknown; route: NaN)."""
    return np.array([np.nan if name == "route" else _typical_code(name, stats)
                     for name in F.FEATURES])


def factor_rows(row: np.ndarray, stats: dict, skip: set[str],
                typical: np.ndarray | None = None) -> tuple[list[np.ndarray], list[str]]:
    """The rows factors() scores for one estimate: each feature in turn set to the route's
    typical value (features in `skip`, and those already typical, left out)."""
    typical = typical_row(stats) if typical is None else typical
    same = (typical == row) | (np.isnan(typical) & np.isnan(row))
    columns = [j for j, name in enumerate(F.FEATURES)
               if name != "route" and name not in skip and not same[j]]
    if not columns:
        return [], []
    changed = np.repeat(row[None, :], len(columns), axis=0)
    changed[np.arange(len(columns)), columns] = typical[columns]
    return list(changed), [F.FEATURES[j] for j in columns]


def factors(model, row: np.ndarray, p: float, stats: dict, skip: set[str],
            lang: str = "en", typical_p: np.ndarray | None = None,
            typical: np.ndarray | None = None) -> list[dict]:
    """Features whose value moves this estimate away from the route's typical case.

    row: the encoded features the estimate was scored on (values beyond the data at its
    edge). Effect of a feature = this estimate minus the estimate with that one feature
    set to the route's typical value (median, or most common; from the training window).
    `skip`: features the model does not use for this route (left out, or never known
    for it): they move nothing and are never shown. typical_p: the estimates of
    factor_rows(row, stats, skip), when already scored (many profiles at once).
    """
    typical = typical_row(stats) if typical is None else typical
    rows, names = factor_rows(row, stats, skip, typical)
    if not rows:
        return []
    if typical_p is None:
        typical_p = _positive(model, np.vstack(rows))
    effects = p - typical_p
    out = []
    for i in np.argsort(-np.abs(effects))[:MAX_FACTORS]:
        if abs(effects[i]) < FACTOR_MIN_EFFECT:
            break
        name, raises = names[i], bool(effects[i] > 0)
        j = F.FEATURES.index(name)
        value, usual = _decode(name, row[j]), _decode(name, typical[j])
        template = "factor_unknown" if value is None else "factor"
        out.append({
            "feature": name,
            "effect": "raises" if raises else "lowers",
            "detail": wording.say(
                template, lang, label=wording.label(name, lang),
                value=wording.show(name, value, lang), typical=wording.show(name, usual, lang),
                moves=wording.moves(raises, lang), more=wording.more(raises, lang),
                points=wording.points(round(abs(effects[i]) * 100), lang)),
        })
    return out


# --- warnings ---------------------------------------------------------------------------


def warnings_for(profile: dict, stats: dict | None, edge: Edge, dropped: dict,
                 lang: str = "en") -> list[str]:
    """Inputs beyond what the model saw for this route, or that it does not use."""
    out = [wording.say("dropped", lang, label=wording.label(name, lang),
                       value=wording.show(name, profile[name], lang),
                       why=wording.why_dropped(why, lang))
           for name, why in dropped.items() if name != "route" and profile.get(name) is not None]
    if stats is None or edge.no_route:
        return out + [wording.say("no_route", lang)]
    if stats["cases"] < FEW_ROUTE_CASES:
        out.append(wording.say("few_route_cases", lang,
                               cases=wording.route_cases(stats["cases"], lang)))
    for name in edge.unseen:
        if profile.get(name) is not None:
            out.append(wording.say("unseen", lang, label=wording.label(name, lang)))
    for name, given, used in edge.clamped:
        entry = stats[name]
        out.append(wording.say(
            "clamped", lang, label=wording.label(name, lang),
            given=wording.show(name, given, lang), used=wording.show(name, used, lang),
            low=wording.show(name, entry["low"], lang),
            high=wording.show(name, entry["high"], lang)))
    for name, value, seen in edge.rare:
        out.append(wording.say("rare", lang, label=wording.label(name, lang),
                               value=wording.show(name, value, lang),
                               cases=wording.route_cases(seen, lang)))
    return out


# --- similar past cases -----------------------------------------------------------------

# Criteria in the order they are dropped when too few cases match (sql/model/similar_cases.sql):
# level k matches on RELAXATION[k:] (and the route, always).
RELAXATION = ("good_history_bucket", "prior_overdues_bucket", "documents_submitted", "product",
              "broke_prior_agreement", "overdue_bucket")
_CRITERION_INPUTS = {
    "product": ("product",),
    "overdue_bucket": ("overdue_days",),
    "prior_overdues_bucket": ("prior_overdues_12m",),
    "good_history_bucket": ("good_history_months",),
    "broke_prior_agreement": ("broke_prior_agreement",),
    "documents_submitted": ("doc_income_proof", "doc_bank_statement", "doc_hardship_evidence"),
}


@dataclass
class Similar:
    cases: int
    granted: int
    criteria: list[str]  # criteria matched on (the route always), known inputs only
    relaxed: bool  # fewer than FEW_SIMILAR_CASES matched on every known criterion


def similar_cases(home: Home, profiles: list[dict]) -> list[dict[str, Similar]] | None:
    """For each profile, route -> its similar past cases; None without a database.

    One query for all profiles; per route, the first relaxation level with at least
    FEW_SIMILAR_CASES cases (docs/model.md, "Similar cases")."""
    try:
        con = warehouse.connect_analysts(home)
    except warehouse.NoAnalystsDatabase:
        return None
    names = ("product", "overdue_days", "prior_overdues_12m", "good_history_months",
             "broke_prior_agreement", "doc_income_proof", "doc_bank_statement",
             "doc_hardship_evidence")
    params: dict[str, list] = {"profile": list(range(len(profiles)))}
    for name in names:
        values = [p.get(name) for p in profiles]
        params[name] = [int(v) if isinstance(v, float) else v for v in values]
    try:
        rows = con.execute(SIMILAR_CASES_SQL.read_text("utf-8"), params).fetchall()
    finally:
        con.close()
    criteria_columns = {c: 3 + i for i, c in enumerate(
        ("product", "overdue_bucket", "prior_overdues_bucket", "good_history_bucket",
         "broke_prior_agreement", "documents_submitted"))}
    cells = [r for r in rows if r[0] == "cell"]
    given = sorted((r for r in rows if r[0] == "profile"), key=lambda r: r[1])
    route_codes = {route: i for i, route in enumerate(F.ROUTES)}
    cell_route = np.array([route_codes.get(r[2], -1) for r in cells], dtype=int)
    keep = cell_route >= 0
    cell_route = cell_route[keep]
    cases = np.array([r[9] for r in cells], dtype=float)[keep]
    granted = np.array([r[10] for r in cells], dtype=float)[keep]
    # Each criterion's cell values as integer codes (comparing codes, not text, is fast).
    codes, values = {}, {}
    for c, i in criteria_columns.items():
        labels, inverse = np.unique(np.array([str(r[i]) for r in cells], dtype=str),
                                    return_inverse=True)
        codes[c] = {label: k for k, label in enumerate(labels)}
        values[c] = inverse.reshape(-1)[keep]
    one_hot = np.zeros((len(cases), len(F.ROUTES)))
    one_hot[np.arange(len(cases)), cell_route] = 1.0
    route_cases, route_granted = one_hot * cases[:, None], one_hot * granted[:, None]
    out: list[dict[str, Similar]] = []
    for row in given:
        # Level k matches on RELAXATION[k:]: build the masks from the last criterion back.
        known = [c for c in RELAXATION if row[criteria_columns[c]] is not None]
        mask = np.ones(len(cases), dtype=bool)
        levels = [mask]
        for c in reversed(RELAXATION):
            if c in known:
                mask = mask & (values[c] == codes[c].get(str(row[criteria_columns[c]]), -1))
            levels.append(mask)
        # levels[k]: matched on RELAXATION[k:]; sums per level and route in one product.
        masks = np.vstack(levels[::-1]).astype(np.float64)
        n_by_level, k_by_level = masks @ route_cases, masks @ route_granted
        answers = {}
        for code, route in enumerate(F.ROUTES):
            level = next((k for k in range(len(levels))
                          if n_by_level[k, code] >= FEW_SIMILAR_CASES), len(RELAXATION))
            used = [c for c in RELAXATION[level:] if c in known]
            answers[route] = Similar(int(n_by_level[level, code]), int(k_by_level[level, code]),
                                     ["route"] + used[::-1], relaxed=len(used) < len(known))
        out.append(answers)
    return out


def wilson(k: int, n: int, z: float = 1.6448536269514722) -> tuple[float, float]:
    """Wilson 90% interval of k successes in n (the same formula as the SQL macros)."""
    if n == 0:
        return 0.0, 1.0
    phat = k / n
    centre = (phat + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def similar_notes(similar: Similar | None, p: float, interval: list[float] | None,
                  profile: dict, lang: str) -> list[str]:
    """What the similar-case count needs said: too few, relaxed criteria, or a rate at
    odds with the estimate (with why, in plain words)."""
    if similar is None:
        return []
    criteria = wording.join([wording.criterion(c, lang) for c in similar.criteria], lang)
    out = []
    if similar.relaxed and similar.cases >= FEW_SIMILAR_CASES:
        out.append(wording.say("relaxed", lang, minimum=FEW_SIMILAR_CASES, criteria=criteria))
    if similar.cases < FEW_SIMILAR_CASES:
        out.append(wording.say("few_similar", lang, similar=wording.similar(similar.cases, lang),
                               criteria=criteria))
        return out
    low, high = wilson(similar.granted, similar.cases)
    est_low, est_high = interval if interval else (p, p)
    if high < est_low or low > est_high:
        matched = {i for c in similar.criteria if c != "route" for i in _CRITERION_INPUTS[c]}
        others = [wording.label(name, lang) for name in F.FEATURES
                  if name not in matched and name != "route" and profile.get(name) is not None]
        rest = wording.join(others, lang) if others else (
            "what is unknown in it" if lang == "en" else "其中未知的部分")
        out.append(wording.say("differs", lang, estimate=wording.pct(p),
                               similar=wording.similar(similar.cases, lang),
                               rate=wording.pct(similar.granted / similar.cases), others=rest))
    return out


# --- the summary ----------------------------------------------------------------------------


def summary(answers: list[dict]) -> dict[str, str]:
    asked = answers[0]
    best = max(answers, key=lambda a: a["probability"])
    route = asked["route"]
    shown, low, high = wording.estimate(asked["probability"], asked["interval"])
    pct = wording.pct
    zh_route = contract.zh_label(contract.ROUTES, route)
    en = (f"For requests like yours, lenders granted {wording.ROUTE_EN[route]} in full or in "
          f"part about {shown} of the time (our estimate lies between {low} and {high}).")
    zh = (f"与您情况相似的申请中，约有{shown}获得了{zh_route}（全部或部分批准），"
          f"这一估计大致在{low}到{high}之间。")
    if best["route"] != route and best["probability"] - asked["probability"] >= 0.05:
        en += (f" This describes past decisions, not a promise; for a profile like yours "
               f"{wording.ROUTE_EN[best['route']]} was granted more often, about "
               f"{pct(best['probability'])} of the time.")
        zh += (f"这反映的是过去的决定，并非承诺；像您这样的情况，"
               f"{contract.zh_label(contract.ROUTES, best['route'])}的获批比例更高，约为"
               f"{pct(best['probability'])}。")
    else:
        en += (" This describes past decisions, not a promise, and none of the other routes "
               "was clearly more often granted for a profile like yours.")
        zh += "这反映的是过去的决定，并非承诺；对像您这样的情况，其他方式的获批比例并没有明显更高。"
    return {"en": en, "zh": zh}


# --- the answer -------------------------------------------------------------------------------


@dataclass
class Guide:
    """A loaded model, ready to answer many profiles (the model loads once)."""
    home: Home
    version: str
    bundle: dict
    meta: dict

    @classmethod
    def load(cls, home: Home) -> Guide:
        version, bundle, meta = registry.load_current(home)
        return cls(home, version, bundle, meta)

    def answer(self, profiles: list[dict[str, Any]], lang: str = "en",
               criteria: bool = False) -> list[dict]:
        """One answer per checked profile (check_profile), in order. With criteria, each
        route also carries `similar_criteria` (what its similar cases matched on) for the
        printed form; the JSON form (CLI.md) has no such key."""
        routes_of = [[p["route"]] + [r for r in F.ROUTES if r != p["route"]] for p in profiles]
        X = F.encode_profiles([{**p, "route": r} for p, routes in zip(profiles, routes_of,
                                                                       strict=True)
                               for r in routes])
        p, bounds, edges, X_scored = scored(self.bundle, self.meta, X)
        similar = similar_cases(self.home, profiles)
        dropped = self.meta.get("dropped_features", {})
        # Every factor row of every estimate, scored in one call.
        skips, typical_p = [], []
        all_rows: list[np.ndarray] = []
        typicals = {route: typical_row(stats)
                    for route, stats in self.meta["profile_stats"].items()}
        for k, route in enumerate(r for routes in routes_of for r in routes):
            skips.append(set(dropped) | set(edges[k].unseen))
            stats = self.meta["profile_stats"].get(route)
            rows = factor_rows(X_scored[k], stats, skips[k], typicals[route])[0] if stats else []
            typical_p.append((len(all_rows), len(rows)))
            all_rows += rows
        scored_rows = _positive(self.bundle["model"], np.vstack(all_rows)) if all_rows else []
        out = []
        k = 0
        for index, (profile, routes) in enumerate(zip(profiles, routes_of, strict=True)):
            answers = []
            for route in routes:
                stats = self.meta["profile_stats"].get(route)
                edge = edges[k]
                interval = ([round(float(bounds[k, 0]), 4), round(float(bounds[k, 1]), 4)]
                            if bounds is not None else None)
                notes = warnings_for(profile, stats, edge, dropped, lang)
                if bounds is None:
                    notes.append(wording.say("no_interval", lang))
                match = similar[index].get(route, Similar(0, 0, ["route"], False)) \
                    if similar is not None else None
                if similar is None:
                    notes.append(wording.say("no_database", lang))
                notes += similar_notes(match, float(p[k]), interval, profile, lang)
                first, n = typical_p[k]
                answers.append({
                    "route": route,
                    "probability": round(float(p[k]), 4),
                    "interval": interval,
                    "similar_cases": match.cases if match else 0,
                    "similar_approval_rate": round(match.granted / match.cases, 4)
                    if match and match.cases else None,
                    "factors": factors(self.bundle["model"], X_scored[k], float(p[k]), stats,
                                       skips[k], lang, scored_rows[first:first + n],
                                       typicals[route]) if stats else [],
                    "warnings": notes,
                })
                if criteria:
                    answers[-1]["similar_criteria"] = match.criteria if match else []
                k += 1
            out.append({
                "model_version": self.version,
                "trained_on": self.meta["trained_on"],
                "routes": answers,
                "summary": summary(answers),
            })
        return out


def expectations(home: Home, profile: dict[str, Any], lang: str = "en",
                 criteria: bool = False) -> dict:
    """The guide's answer for one profile (the structure `relief guide --json` prints).

    profile: contract column names -> value; missing or None is unknown; route and
    product required. Raises registry.NoModel when no model is promoted, ProfileError
    for an unreadable profile.
    """
    checked = check_profile(profile)
    return Guide.load(home).answer([checked], lang, criteria)[0]


def expectations_for_rows(home: Home, rows: list[dict[str, Any]], lang: str = "en",
                          criteria: bool = False) -> list[dict]:
    """Answers for many rows (contract column names -> value or text), each with its
    case_id; a row that cannot be read gets {"case_id", "error"} and the others are
    still answered. The model loads once and similar cases are counted in one query."""
    import re

    guide = Guide.load(home)
    checked, results = [], []
    for row in rows:
        case_id = row.get("case_id")
        case_id = None if case_id is None or str(case_id).strip() == "" else str(case_id).strip()
        try:
            if row.get("error"):
                raise ProfileError(row["error"])
            if case_id is not None and not re.fullmatch(contract.CASE_ID_PATTERN, case_id):
                case_id = None
                raise ProfileError("case_id is not a pseudonymous id (letters, digits, _ and -, "
                                   "at most 64)")
            checked.append(check_profile(row))
            results.append({"case_id": case_id})
        except ProfileError as exc:
            results.append({"case_id": case_id, "error": str(exc)})
    answers = iter(guide.answer(checked, lang, criteria) if checked else [])
    return [r if "error" in r else {"case_id": r["case_id"], **next(answers)} for r in results]


def read_profiles(path: str) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON Lines file (gzip too) as contract column name -> text,
    read by the ingestion's readers (encoding detection, GB18030, Chinese headers).
    Columns outside the contract are ignored; a line the reader rejects becomes a row
    with only an `error`. ProfileError when the file cannot be read at all."""
    from pathlib import Path

    import duckdb

    from pipelines.sources import files

    aliases = contract.header_aliases()
    con = duckdb.connect()
    try:
        raw = files.open_source(con, Path(path))
        raw = files.scan(con, raw, f"create temp table profile_rows as select * from "
                         f"{files.SOURCE_VIEW}", "profile_rows")
        columns = {f"c{i}": aliases.get(contract.normalize_header(h))
                   for i, h in enumerate(raw.headers)}
        wanted = [c for c, name in columns.items() if name in F.FEATURES or name == "case_id"]
        select = ", ".join([f"{raw.line_sql} as line"] + wanted)
        rows = [(int(r[0]), {columns[c]: v for c, v in zip(wanted, r[1:], strict=True)})
                for r in con.execute(f"select {select} from (select rowid as row_id, * "
                                     "from profile_rows)").fetchall()]
        rows += [(int(line), {"error": f"line {line} could not be read ({rule})"})
                 for line, rule, _ in con.execute("select * from batch_structural").fetchall()]
    except files.Refused as exc:
        raise ProfileError(f"{path}: {exc}") from None
    except (OSError, duckdb.Error) as exc:
        raise ProfileError(f"{path} cannot be read: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def render(answer: dict, lang: str = "en") -> str:
    """The printed form of one answer (`relief guide` without --json)."""
    t = answer["trained_on"]
    if lang == "en":
        lines = [f"model {answer['model_version']}, trained on "
                 f"{wording.route_cases(t['cases'], lang)} ({t['from']} to {t['to']})"]
    else:
        lines = [f"模型 {answer['model_version']}，基于{t['cases']:,}个已决案例训练"
                 f"（{t['from']}至{t['to']}）"]
    for r in answer["routes"]:
        name = wording.route_name(r["route"], lang)
        p, low, high = wording.estimate(r["probability"], r["interval"])
        rate = "n/a" if r["similar_approval_rate"] is None else wording.pct(
            r["similar_approval_rate"])
        similar = wording.similar(r["similar_cases"], lang)
        if r.get("similar_criteria"):
            matched = wording.join([wording.criterion(c, lang) for c in r["similar_criteria"]],
                                   lang)
            similar += f" (same {matched})" if lang == "en" else f"（{matched}相同）"
        if lang == "en":
            interval = "no interval" if r["interval"] is None else \
                f"90% interval {low} to {high}"
            lines.append(f"\n{name}: {p} ({interval}); {similar}, {rate} granted")
        else:
            interval = "无区间" if r["interval"] is None else \
                f"90%区间{low}至{high}"
            lines.append(f"\n{name}：{p}（{interval}）；{similar}，获批{rate}")
        for f in r["factors"]:
            lines.append(f"  {'+' if f['effect'] == 'raises' else '-'} {f['detail']}")
        for w in r["warnings"]:
            lines.append(f"  ! {w}")
    lines.append(f"\n{answer['summary']['en']}\n{answer['summary']['zh']}")
    return "\n".join(lines)
