"""The synthetic cases themselves: the hidden story of each block of cases and what a
lender's export on a given day shows of it.

- `_story_block(seed, block)`: the whole hidden story of BLOCK_ROWS cases (every
  feature fully known, the truth, the eventual decision and what becomes of a
  granted plan), numpy-vectorised, from its own RNG derived from (seed, block).
  The data therefore depend on (seed, case index) only: not on the chunk size,
  and N cases are the first N cases of any larger file with the same seed.
- `_observe(story, as_of)`: what a lender's export on `as_of` shows: decisions
  after as_of are pending, plan statuses as of that day, and optional
  columns blanked completely at random (MCAR), so that
  P(granted | observed fully-known features) is the truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import polars as pl

from pipelines import contract
from pipelines.synth.mechanism import (
    AGE_BAND_MIX,
    AGE_BAND_VALUES,
    AMOUNT_MEDIAN,
    AMOUNT_SIGMA,
    AS_OF,
    BLOCK_ROWS,
    BREAK_BROKE_PRIOR,
    BREAK_INTERCEPT,
    BREAK_OVER_INDEBTED,
    BREAK_PER_GOOD_HISTORY_YEAR,
    BREAK_PER_PRIOR_OVERDUE,
    BREAK_SETTLEMENT,
    CHANNEL_MIX,
    CHANNEL_VALUES,
    COUNTER_OFFER_INSTALLMENT,
    DEFAULT_CHUNK_ROWS,
    DOC_COLUMNS,
    GOOD_HISTORY_CAP_MONTHS,
    HARDSHIP_MIX,
    HARDSHIP_VALUES,
    HOLIDAYS,
    MAX_CASES,
    MONTHS_APPLY,
    OVERDUE_MAX,
    OVERDUE_MEDIAN,
    OVERDUE_SIGMA,
    PARTIAL_SHARE,
    PLAN_MONTHS_WITHOUT_MONTHS,
    PRIOR_OVERDUE_CAP,
    PRODUCT_MIX,
    PRODUCT_VALUES,
    REGION_MIX,
    REGION_VALUES,
    REQUESTED_MONTHS_CHOICES,
    ROUTE_MIX,
    ROUTE_VALUES,
    SPRING_FESTIVALS,
    START,
    UNKNOWN_RATE,
    WITHDRAWN_SHARE,
    R,
    _code,
    _log_odds,
    _sigmoid,
)

# --- the hidden story of one block -------------------------------------------------


def _day_weights() -> tuple[np.ndarray, np.ndarray]:
    """Application days START..AS_OF and their relative weights (seasonal bumps)."""
    days = np.arange(np.datetime64(START), np.datetime64(AS_OF) + 1, dtype="datetime64[D]")
    weight = np.ones(days.size)
    for festival in SPRING_FESTIVALS:
        # after the holiday: bills and lost income of the festival come due
        lo = np.datetime64(festival) + 8
        weight[(days >= lo) & (days < lo + 42)] *= 1.6
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(int) % 12 + 1
    day_of_month = (days - month_start.astype("datetime64[D]")).astype(int) + 1
    after_double11 = ((month == 11) & (day_of_month >= 20)) | (month == 12)
    weight[after_double11] *= 1.4  # Double 11 (Nov 11) spending falls due from late November
    weekday = (days.astype(int) + 3) % 7  # 0 = Monday
    weight[weekday >= 5] *= 0.85
    weight[np.isin(days, HOLIDAYS)] *= 0.5
    return days, weight / weight.sum()


_DAYS, _DAY_P = _day_weights()
_DAY_CDF = np.cumsum(_DAY_P)


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n codes drawn from probabilities p (inverse CDF; stable across numpy versions)."""
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), p.size - 1)


def _pick_rows(rng: np.random.Generator, p_rows: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One code per element, from the probability row p_rows[row]."""
    cdf = np.cumsum(p_rows / p_rows.sum(axis=1, keepdims=True), axis=1)[row]
    u = rng.random(row.size)
    return np.minimum((u[:, None] >= cdf).sum(axis=1), p_rows.shape[1] - 1)


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    return days + np.round(months * 30.44).astype("timedelta64[D]")


def _story_block(seed: int, block: int) -> dict[str, np.ndarray]:
    """Everything about cases block*BLOCK_ROWS .. +BLOCK_ROWS, fully known.

    Draws happen in a fixed order from one RNG per (seed, block): never reorder
    or insert draws without accepting that every seed's data change.
    """
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(block,)))
    n = BLOCK_ROWS
    s: dict[str, np.ndarray] = {"index": block * n + np.arange(n, dtype=np.int64)}

    product = _pick(rng, PRODUCT_MIX, n)
    route = _pick_rows(rng, ROUTE_MIX, product)
    channel = _pick(rng, CHANNEL_MIX, n)
    amount = np.round(np.exp(np.log(AMOUNT_MEDIAN[product])
                             + AMOUNT_SIGMA[product] * rng.standard_normal(n)), 2)
    amount = np.maximum(amount, 50.0)
    overdue = np.minimum(np.floor(np.exp(np.log(OVERDUE_MEDIAN[route])
                                         + OVERDUE_SIGMA * rng.standard_normal(n))), OVERDUE_MAX)
    # A latent riskiness ties prior overdues, a short on-time record and broken agreements.
    risk = rng.standard_normal(n)
    prior = rng.poisson(np.exp(0.0 + 0.6 * risk)).astype(np.float64)
    good = np.minimum(np.floor(np.exp(3.0 - 0.5 * risk + 0.8 * rng.standard_normal(n))), 240.0)
    broke = (rng.random(n) < _sigmoid(-2.3 + 0.9 * risk)).astype(np.float64)
    hardship = _pick(rng, HARDSHIP_MIX, n)
    documented_cause = np.isin(hardship, [_code(HARDSHIP_VALUES, h) for h in
                                          ("unemployment", "illness", "disaster")])
    docs = {
        "doc_income_proof": (rng.random(n) < 0.35).astype(np.float64),
        "doc_bank_statement": (rng.random(n) < 0.30).astype(np.float64),
        "doc_hardship_evidence": (rng.random(n) < np.where(documented_cause, 0.55, 0.20))
        .astype(np.float64),
    }
    months = np.full(n, np.nan)
    for name, (choices, p) in REQUESTED_MONTHS_CHOICES.items():
        drawn = np.array(choices, dtype=np.float64)[_pick(rng, np.array(p), n)]
        months = np.where(route == R[name], drawn, months)
    age_band = _pick(rng, AGE_BAND_MIX, n)
    region = _pick(rng, REGION_MIX, n)

    truth = _sigmoid(_log_odds(route, product, channel, amount, overdue, prior, good, broke,
                               hardship, docs, months))

    # Dates: applications by seasonal day weights; decisions a few working days later,
    # longer for larger balances and for the cases that need more documents.
    applied = _DAYS[np.minimum(np.searchsorted(_DAY_CDF, rng.random(n), side="right"),
                               _DAYS.size - 1)]
    working_days = 1 + rng.poisson(2.0 + 1.2 * np.maximum(np.log10(amount / 1_000.0), 0.0))
    slow = rng.random(n) < 0.15
    working_days = working_days + np.where(slow, rng.integers(5, 46, n), 0)
    decided = np.busday_offset(applied, working_days, roll="forward", holidays=HOLIDAYS)

    granted = rng.random(n) < truth
    withdrawn = rng.random(n) < WITHDRAWN_SHARE
    counter = granted & (rng.random(n) < COUNTER_OFFER_INSTALLMENT[route])
    partial = granted & (counter | (rng.random(n) < PARTIAL_SHARE[route]))
    granted_route = np.where(counter, R["installment"], route)

    # Months granted: what was asked when fully approved, fewer when partial; a
    # counter-offer of installments without months asked gets a common plan length.
    fallback_months = np.array([12.0, 24.0, 36.0])[rng.integers(0, 3, n)]
    asked = np.where(np.isnan(months), fallback_months, months)
    shrink = rng.uniform(0.4, 0.9, n)
    granted_months = np.where(partial & ~counter, np.maximum(1.0, np.round(asked * shrink)), asked)
    granted_months = np.where(granted & MONTHS_APPLY[granted_route], granted_months, np.nan)

    # Waived interest and penalties: a share of the balance for waivers; a discount
    # growing with the age of the debt for settlements.
    waiver_share = rng.uniform(0.04, 0.15, n)
    discount = np.clip(0.15 + 0.0004 * overdue + 0.05 * rng.standard_normal(n), 0.05, 0.60)
    share = np.select([granted_route == R["interest_waiver"], granted_route == R["settlement"]],
                      [waiver_share, discount], np.nan)
    share = np.where(partial, share * 0.6, share)
    waived = np.where(granted, np.round(amount * share, 2), np.nan)

    # What becomes of a granted plan: it breaks (likelier for riskier profiles) at a
    # uniform point of its length, or completes at its end.
    plan_months = np.where(np.isnan(granted_months), PLAN_MONTHS_WITHOUT_MONTHS[granted_route],
                           granted_months)
    break_z = (BREAK_INTERCEPT + BREAK_PER_PRIOR_OVERDUE * np.minimum(prior, PRIOR_OVERDUE_CAP)
               + BREAK_BROKE_PRIOR * broke
               + BREAK_PER_GOOD_HISTORY_YEAR * np.minimum(good, GOOD_HISTORY_CAP_MONTHS) / 12.0
               + BREAK_OVER_INDEBTED * (hardship == _code(HARDSHIP_VALUES, "over_indebted"))
               + BREAK_SETTLEMENT * (granted_route == R["settlement"]))
    breaks = granted & (rng.random(n) < _sigmoid(break_z))
    plan_end = _add_months(decided, plan_months)
    break_on = _add_months(decided, plan_months * rng.random(n))

    # Unknowns, completely at random; requested_months only where it is asked at all.
    blank = {name: rng.random(n) < rate for name, rate in UNKNOWN_RATE.items()}

    s.update(product=product, route=route, channel=channel, amount=amount, overdue=overdue,
             prior=prior, good=good, broke=broke, hardship=hardship, months=months,
             age_band=age_band, region=region, truth=truth, applied=applied, decided=decided,
             granted=granted, withdrawn=withdrawn, partial=partial, granted_route=granted_route,
             granted_months=granted_months, waived=waived, breaks=breaks, plan_end=plan_end,
             break_on=break_on, **docs, **{f"blank_{k}": v for k, v in blank.items()})
    return s


# --- what an export on a given day shows ----------------------------------------------


def case_id_prefix(seed: int) -> str:
    return f"SYN{seed}-"


def _labels(values: tuple[str, ...], codes: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    out = pl.Series(values=list(values), dtype=pl.String).gather(pl.Series(codes.astype(np.uint32)))
    if null is not None:
        out = pl.select(pl.when(pl.lit(pl.Series(null))).then(None).otherwise(out)).to_series()
    return out


def _masked(values: np.ndarray, null: np.ndarray, dtype: pl.DataType) -> pl.Series:
    series = pl.Series(values).cast(dtype)
    return pl.select(pl.when(pl.lit(pl.Series(null))).then(None).otherwise(series)).to_series()


def _observe(s: dict[str, np.ndarray], seed: int, as_of: date) -> pl.DataFrame:
    """The block as a lender's export on `as_of` shows it: contract columns + truth."""
    day = np.datetime64(as_of)
    known = s["decided"] <= day
    withdrawn = known & s["withdrawn"]
    decided = known & ~s["withdrawn"]
    granted = decided & s["granted"]
    outcome = np.select(
        [~known, withdrawn, granted & s["partial"], granted, decided],
        [_code(tuple(contract.OUTCOMES), o) for o in
         ("pending", "withdrawn", "partial", "approved", "rejected")],
    )
    plan = np.select(
        [s["breaks"] & (s["break_on"] <= day), s["plan_end"] <= day],
        [_code(tuple(contract.PLAN_STATUSES), "broken"), _code(tuple(contract.PLAN_STATUSES),
                                                               "completed")],
        _code(tuple(contract.PLAN_STATUSES), "active"),
    )
    b = {k[len("blank_"):]: v for k, v in s.items() if k.startswith("blank_")}
    months_na = np.isnan(s["months"])
    case_id = pl.select(pl.lit(case_id_prefix(seed))
                        + pl.Series(s["index"]).cast(pl.String).str.zfill(8)).to_series()
    columns = {
        "case_id": case_id,
        "applied_on": pl.Series(s["applied"]),
        "decided_on": _masked(s["decided"], ~decided, pl.Date),
        "product": _labels(PRODUCT_VALUES, s["product"]),
        "route": _labels(ROUTE_VALUES, s["route"]),
        "channel": _labels(CHANNEL_VALUES, s["channel"], b["channel"]),
        "outstanding_amount": _masked(s["amount"], b["outstanding_amount"], pl.Float64),
        "overdue_days": _masked(s["overdue"], b["overdue_days"], pl.Int32),
        "prior_overdues_12m": _masked(s["prior"], b["prior_overdues_12m"], pl.Int32),
        "good_history_months": _masked(s["good"], b["good_history_months"], pl.Int32),
        "broke_prior_agreement": _masked(s["broke"], b["broke_prior_agreement"], pl.Boolean),
        "hardship_reason": _labels(HARDSHIP_VALUES, s["hardship"], b["hardship_reason"]),
        **{name: _masked(s[name], b[name], pl.Boolean) for name in DOC_COLUMNS},
        "requested_months": _masked(np.nan_to_num(s["months"]), months_na | b["requested_months"],
                                    pl.Int32),
        "age_band": _labels(AGE_BAND_VALUES, s["age_band"], b["age_band"]),
        "region": _labels(REGION_VALUES, s["region"], b["region"]),
        "outcome": _labels(tuple(contract.OUTCOMES), outcome),
        "granted_route": _labels(ROUTE_VALUES, s["granted_route"], ~granted),
        "granted_months": _masked(np.nan_to_num(s["granted_months"]),
                                  ~granted | np.isnan(s["granted_months"]), pl.Int32),
        "waived_amount": _masked(np.nan_to_num(s["waived"]), ~granted | np.isnan(s["waived"]),
                                 pl.Float64),
        "plan_status": _labels(tuple(contract.PLAN_STATUSES), plan, ~granted),
        "true_probability": pl.Series(s["truth"]),
    }
    return pl.DataFrame(columns)


def _check(cases: int, seed: int) -> None:
    if not 0 < cases <= MAX_CASES:
        raise ValueError(f"cases must be between 1 and {MAX_CASES:,}, got {cases}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")


def _frames(cases: int, seed: int, as_of: date, chunk_rows: int) -> Iterator[pl.DataFrame]:
    blocks_per_chunk = max(1, -(-chunk_rows // BLOCK_ROWS))
    n_blocks = -(-cases // BLOCK_ROWS)
    for first in range(0, n_blocks, blocks_per_chunk):
        parts = []
        for block in range(first, min(first + blocks_per_chunk, n_blocks)):
            frame = _observe(_story_block(seed, block), seed, as_of)
            parts.append(frame.head(cases - block * BLOCK_ROWS))
        yield pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]


def generate(cases: int, seed: int, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pl.DataFrame]:
    """Synthetic cases as of AS_OF, in frames of about chunk_rows rows (whole blocks).

    Columns: the contract's, in contract order (canonical English values, dates as
    Date, booleans as Boolean, unknown = null), plus true_probability. The rows
    depend on (seed, case index) only, not on chunk_rows.
    """
    _check(cases, seed)
    yield from _frames(cases, seed, AS_OF, chunk_rows)


def true_decisions(cases: int, seed: int) -> pl.DataFrame:
    """What every case's hidden story says about its decision, whatever the export
    date: case_id, route, applied_on, the day it is decided or withdrawn
    (decision_on; an export on an earlier day shows the case pending) and whether it
    is withdrawn. The complete data against which a censored export (generate's,
    as of AS_OF) is checked (tests/test_stats_censoring.py)."""
    _check(cases, seed)
    frames = []
    for block in range(-(-cases // BLOCK_ROWS)):
        s = _story_block(seed, block)
        frames.append(pl.DataFrame({
            "case_id": pl.select(pl.lit(case_id_prefix(seed))
                                 + pl.Series(s["index"]).cast(pl.String).str.zfill(8)).to_series(),
            "route": _labels(ROUTE_VALUES, s["route"]),
            "applied_on": pl.Series(s["applied"]),
            "decision_on": pl.Series(s["decided"]),
            "withdrawn": pl.Series(s["withdrawn"]),
        }).head(cases - block * BLOCK_ROWS))
    return pl.concat(frames)
