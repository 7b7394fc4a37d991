"""Realistic expectations for one profile: `relief guide` and expectations().

For the route asked and every other route: the calibrated probability of approval
(full or partial), a 90% interval for that estimate, the decided past cases like
this one and their observed rate, the factors that move the estimate away from the
route's typical case, warnings, and a two-sentence summary in English and Chinese.

Interactive and cold-started: imports stay lean (no polars, Prefect, skops), the models
load through registry: from the version's scoring.npz (arrays only, checked against
model.skops when written), else from model.skops (skops, explicit trusted types).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipelines import contract, warehouse
from pipelines.approval import features as F
from pipelines.approval import registry
from pipelines.config import SQL_DIR, Home

SIMILAR_CASES_SQL = SQL_DIR / "model" / "similar_cases.sql"
FACTOR_MIN_EFFECT = 0.01  # one percentage point
MAX_FACTORS = 5
FEW_SIMILAR_CASES = 30
FEW_CATEGORY_CASES = 30

ROUTE_EN = {
    "installment": "an installment plan",
    "deferral": "a deferral",
    "interest_waiver": "a partial interest or penalty waiver",
    "interest_suspension": "interest suspension",
    "settlement": "a discounted settlement",
    "other": "other relief",
}


class ProfileError(ValueError):
    """The profile cannot be read (an unknown route, a negative amount, ...)."""


# --- the profile ------------------------------------------------------------------


def check_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile restricted to model features, values checked against the contract.

    Missing keys and None mean unknown. route and product are required.
    """
    out: dict[str, Any] = {}
    for name in F.FEATURES:
        value = profile.get(name)
        column = contract.BY_NAME[name]
        if value is None or (isinstance(value, str) and not value.strip()):
            if column.required:
                raise ProfileError(f"{name} is required")
            out[name] = None
            continue
        if name in F.ENUM_FEATURES:
            spelled = contract.enum_spellings(column.enum).get(str(value).strip().lower())
            if spelled is None:
                raise ProfileError(f"{name} must be one of {', '.join(column.enum)}; got {value!r}")
            out[name] = spelled
        elif name in F.BOOLEAN_FEATURES:
            if not isinstance(value, bool):
                raise ProfileError(f"{name} must be true or false; got {value!r}")
            out[name] = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ProfileError(f"{name} must be a number; got {value!r}") from None
            if not math.isfinite(number):
                raise ProfileError(f"{name} must be a finite number; got {value!r}")
            if column.minimum is not None and number < column.minimum:
                raise ProfileError(f"{name} must be at least {column.minimum}; got {value!r}")
            if column.maximum is not None and number > column.maximum:
                raise ProfileError(f"{name} must be at most {column.maximum}; got {value!r}")
            out[name] = number
    return out


# --- the model's answers ------------------------------------------------------------


def _positive(model, X: np.ndarray) -> np.ndarray:
    if isinstance(model, registry.ScoringModel):  # numpy on a few rows: no thread pools
        return model.predict_proba(X)[:, 1]
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
              model_rows: int) -> np.ndarray | None:
    """90% intervals (rows x 2) from bootstrap refits: p's logit plus/minus t times the
    refits' standard deviation on the logit scale, scaled by sqrt(m / n) when the refits
    saw m of the n fitting rows (m-out-of-n bootstrap). t is Student's 95th percentile
    with (refits - 1) degrees of freedom: a spread measured from a few refits is itself
    uncertain, and t widens the interval for that. None with fewer than 2 refits."""
    if len(refit_predictions) < 2:
        return None
    from scipy.stats import t as student_t  # already loaded by scikit-learn

    multiplier = float(student_t.ppf(0.95, df=len(refit_predictions) - 1))
    spread = np.std(_logit(np.vstack(refit_predictions)), axis=0, ddof=1)
    spread = spread * math.sqrt(refit_rows / max(model_rows, refit_rows))
    centre = _logit(p)
    return np.column_stack([_expit(centre - multiplier * spread),
                            _expit(centre + multiplier * spread)])


def _typical_value(name: str, stats: dict) -> Any:
    """The route's typical value of a feature, in profile terms (None: unknown)."""
    entry = stats.get(name)
    if entry is None or entry.get("typical") is None:
        return None
    if name in F.ENUM_FEATURES:
        code = int(entry["typical"])
        return None if code == F.unknown_code(name) else F.categories(name)[code]
    if name in F.BOOLEAN_FEATURES:
        return bool(round(entry["typical"]))
    return entry["typical"]


def _show(name: str, value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and name != "outstanding_amount":
        return f"{value:g}"
    if isinstance(value, float):
        return f"{value:,.0f} yuan"
    return str(value)


def factors(model, profile: dict, route: str, p: float, stats: dict,
            dropped: dict | None = None) -> list[dict]:
    """Features whose value moves this estimate away from the route's typical case.

    Effect of a feature = this estimate minus the estimate with that one feature set to
    the route's typical value (median, or most common; from the training window).
    Features the model does not use (`dropped`) move nothing and are skipped.
    """
    rows, names, typicals = [], [], []
    for name in F.FEATURES:
        if name == "route" or name in (dropped or {}):
            continue
        typical = _typical_value(name, stats)
        if typical == profile.get(name):
            continue
        rows.append({**profile, "route": route, name: typical})
        names.append(name)
        typicals.append(typical)
    if not rows:
        return []
    effects = p - _positive(model, F.encode_profiles(rows))
    order = np.argsort(-np.abs(effects))
    out = []
    for i in order[:MAX_FACTORS]:
        if abs(effects[i]) < FACTOR_MIN_EFFECT:
            break
        name = names[i]
        out.append({
            "feature": name,
            "effect": "raises" if effects[i] > 0 else "lowers",
            "detail": (f"{name} {_show(name, profile.get(name))} (typical for this route: "
                       f"{_show(name, typicals[i])}) {'raises' if effects[i] > 0 else 'lowers'} "
                       f"the estimate by {abs(effects[i]) * 100:.0f} percentage points"),
        })
    return out


def unused_inputs(profile: dict, dropped: dict) -> list[str]:
    """A warning for each value given for a feature the model leaves out."""
    return [f"{name} {_show(name, profile[name])} was not used: it was {why}, so the model "
            "learned nothing from it" for name, why in dropped.items()
            if name != "route" and profile.get(name) is not None]


def warnings_for(profile: dict, route: str, stats: dict | None,
                 dropped: dict | None = None) -> list[str]:
    """Inputs outside what the model saw for this route, or that it does not use."""
    out = unused_inputs(profile, dropped or {})
    if stats is None:
        return out + [f"the model saw no decided {route} cases: this estimate is an extrapolation"]
    if stats["cases"] < 100:
        out.append(f"the model saw only {stats['cases']} decided {route} cases: the estimate "
                   "is rough")
    for name in F.FEATURES:
        value, entry = profile.get(name), stats.get(name)
        if value is None or entry is None or name == "route" or name in (dropped or {}):
            continue
        if name in F.ENUM_FEATURES:
            seen = entry["counts"].get(value, 0)
            if seen < FEW_CATEGORY_CASES:
                out.append(f"{name} {value}: only {seen} such {route} cases in the training data")
        elif entry.get("min") is None:
            out.append(f"{name} was unknown in every {route} case the model saw; the value "
                       "given is not used reliably")
        elif not entry["min"] <= float(value) <= entry["max"]:
            out.append(f"{name} {_show(name, value)} is outside what the model saw for {route} "
                       f"({_show(name, entry['min'])} to {_show(name, entry['max'])})")
    return out


# --- similar past cases -----------------------------------------------------------------


def similar_cases(home: Home, profile: dict) -> dict[str, tuple[int, int]] | None:
    """route -> (decided similar cases, granted among them); None without a database."""
    try:
        con = warehouse.connect_analysts(home)
    except warehouse.NoAnalystsDatabase:
        return None
    try:
        params = {k: profile.get(k) for k in (
            "overdue_days", "prior_overdues_12m", "doc_income_proof", "doc_bank_statement",
            "doc_hardship_evidence")}
        rows = con.execute(SIMILAR_CASES_SQL.read_text("utf-8"), params).fetchall()
    finally:
        con.close()
    return {route: (int(n), int(granted)) for route, n, granted in rows}


# --- the summary ----------------------------------------------------------------------------


def _pct(p: float) -> str:
    return f"{round(p * 100):.0f}%"


def summary(answers: list[dict]) -> dict[str, str]:
    asked = answers[0]
    best = max(answers, key=lambda a: a["probability"])
    route, p = asked["route"], asked["probability"]
    low, high = asked["interval"] if asked["interval"] else (p, p)
    zh_route = contract.zh_label(contract.ROUTES, route)
    en = (f"For requests like yours, lenders granted {ROUTE_EN[route]} in full or in part about "
          f"{_pct(p)} of the time (our estimate lies between {_pct(low)} and {_pct(high)}).")
    zh = (f"与您情况相似的申请中，约有{_pct(p)}获得了{zh_route}（全部或部分批准），"
          f"这一估计大致在{_pct(low)}到{_pct(high)}之间。")
    if best["route"] != route and best["probability"] - p >= 0.05:
        en += (f" This describes past decisions, not a promise; for a profile like yours "
               f"{ROUTE_EN[best['route']]} was granted more often, about "
               f"{_pct(best['probability'])} of the time.")
        zh += (f"这反映的是过去的决定，并非承诺；像您这样的情况，"
               f"{contract.zh_label(contract.ROUTES, best['route'])}的获批比例更高，约为"
               f"{_pct(best['probability'])}。")
    else:
        en += (" This describes past decisions, not a promise, and none of the other routes "
               "was clearly more often granted for a profile like yours.")
        zh += "这反映的是过去的决定，并非承诺；对像您这样的情况，其他方式的获批比例并没有明显更高。"
    return {"en": en, "zh": zh}


# --- the answer -------------------------------------------------------------------------------


def expectations(home: Home, profile: dict[str, Any]) -> dict:
    """The guide's answer for one profile (the structure `relief guide --json` prints).

    profile: contract column names -> value; missing or None is unknown; route and
    product required. Raises registry.NoModel when no model is promoted, ProfileError
    for an unreadable profile.
    """
    checked = check_profile(profile)
    version, bundle, meta = registry.load_current(home)
    asked = checked["route"]
    routes = [asked] + [r for r in F.ROUTES if r != asked]
    X = F.encode_profiles([{**checked, "route": r} for r in routes])
    p = _positive(bundle["model"], X)
    refit_predictions = [_positive(m, X) for m in bundle["bootstrap"]]
    rows = meta["rows"]
    bounds = intervals(p, refit_predictions, rows["bootstrap_rows_per_refit"],
                       rows.get("fit_used_by_chosen_model", rows["fit"]))
    similar = similar_cases(home, checked)
    dropped = meta.get("dropped_features", {})
    answers = []
    for i, route in enumerate(routes):
        stats = meta["profile_stats"].get(route)
        n, granted = (similar or {}).get(route, (0, 0))
        notes = warnings_for(checked, route, stats, dropped)
        if bounds is None:
            notes.append("too few cases to measure the uncertainty of this estimate")
        if similar is None:
            notes.append("no analysts' database: similar past cases could not be counted")
        elif n < FEW_SIMILAR_CASES:
            notes.append(f"only {n} similar past cases: their observed rate is not reliable")
        answers.append({
            "route": route,
            "probability": round(float(p[i]), 4),
            "interval": [round(float(bounds[i, 0]), 4), round(float(bounds[i, 1]), 4)]
            if bounds is not None else None,
            "similar_cases": n,
            "similar_approval_rate": round(granted / n, 4) if n else None,
            "factors": factors(bundle["model"], {**checked, "route": route}, route, float(p[i]),
                               stats, dropped) if stats else [],
            "warnings": notes,
        })
    return {
        "model_version": version,
        "trained_on": meta["trained_on"],
        "routes": answers,
        "summary": summary(answers),
    }
