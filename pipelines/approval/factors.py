"""The factors of an estimate: each feature in turn set to the route's typical value, and
how much that moves the estimate, in plain words in the language asked (docs/model.md,
"Factors").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from pipelines.approval import estimates, wording
from pipelines.approval import features as F

FACTOR_MIN_EFFECT = 0.01  # one percentage point
MAX_FACTORS = 5


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
        typical_p = estimates.positive(model, np.vstack(rows))
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
