"""Similar past cases: decided cases a person would call like theirs, matched on the
criteria that matter, relaxed in a documented order when fewer than FEW_SIMILAR_CASES
match, and what needs saying about them (docs/model.md, "Similar cases").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipelines import warehouse
from pipelines.approval import features as F
from pipelines.approval import wording
from pipelines.config import SQL_DIR, Home

SIMILAR_CASES_SQL = SQL_DIR / "model" / "similar_cases.sql"
FEW_SIMILAR_CASES = 30


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
