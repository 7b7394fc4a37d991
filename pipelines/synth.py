"""Synthetic relief cases with known truth (docs/synthetic-data.md).

No public data set holds Chinese consumer-credit relief requests, so relief ships
its own: every case's approval chance is drawn from a documented mechanism, so
every statistic and model can be checked against the truth.

How it works, in three layers:
- `_story_block(seed, block)`: the whole hidden story of BLOCK_ROWS cases (every
  feature fully known, the truth, the eventual decision and what becomes of a
  granted plan), numpy-vectorised, from its own RNG derived from (seed, block).
  The data therefore depend on (seed, case index) only: not on the chunk size,
  and N cases are the first N cases of any larger file with the same seed.
- `_observe(story, as_of)`: what a lender's export on `as_of` shows: decisions
  after as_of are pending, plan statuses as of that day, and optional
  columns blanked completely at random (MCAR), so that
  P(granted | observed fully-known features) is the truth.
- writers: stream chunks to CSV (en: UTF-8; zh: Chinese headers and labels in
  GB18030) or Parquet, write a new file and rename it.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines import contract
from pipelines.config import Home

# --- time frame ----------------------------------------------------------------

START = date(2025, 1, 1)
AS_OF = date(2026, 6, 30)  # the export date of a generated file: 18 months of applications
UPDATES_AS_OF = date(2026, 9, 30)  # the export date of an update batch (three months later)

# Mainland public holidays (no decisions on these days). Make-up working weekends
# (调休) are not modelled: weekends are always days off.
HOLIDAYS = np.array(
    [
        "2025-01-01", *np.arange("2025-01-28", "2025-02-05", dtype="datetime64[D]").astype(str),
        "2025-04-04", "2025-04-05", "2025-04-06",
        *np.arange("2025-05-01", "2025-05-06", dtype="datetime64[D]").astype(str),
        "2025-05-31", "2025-06-01", "2025-06-02",
        *np.arange("2025-10-01", "2025-10-09", dtype="datetime64[D]").astype(str),
        "2026-01-01", "2026-01-02", "2026-01-03",
        *np.arange("2026-02-15", "2026-02-24", dtype="datetime64[D]").astype(str),
        "2026-04-04", "2026-04-05", "2026-04-06",
        *np.arange("2026-05-01", "2026-05-06", dtype="datetime64[D]").astype(str),
        "2026-06-19", "2026-06-20", "2026-06-21",
        "2026-09-25", "2026-09-26", "2026-09-27",
        *np.arange("2026-10-01", "2026-10-08", dtype="datetime64[D]").astype(str),
    ],
    dtype="datetime64[D]",
)
SPRING_FESTIVALS = (date(2025, 1, 29), date(2026, 2, 17))

# --- sizes -----------------------------------------------------------------------

BLOCK_ROWS = 50_000  # one RNG stream per block: the unit of determinism
DEFAULT_CHUNK_ROWS = 200_000  # rows per frame yielded / written (rounded to whole blocks)
MAX_CASES = 100_000_000  # case_id keeps an 8-digit index: never an 11+ digit run

# --- enumerations in contract order (codes are indices into these) ---------------

PRODUCT_VALUES = tuple(contract.PRODUCTS)
ROUTE_VALUES = tuple(contract.ROUTES)
CHANNEL_VALUES = tuple(contract.CHANNELS)
HARDSHIP_VALUES = tuple(contract.HARDSHIP_REASONS)
AGE_BAND_VALUES = tuple(contract.AGE_BANDS)
DOC_COLUMNS = ("doc_income_proof", "doc_bank_statement", "doc_hardship_evidence")


def _code(values: tuple[str, ...], name: str) -> int:
    return values.index(name)


def _by(values: tuple[str, ...], mapping: dict[str, float], default: float = 0.0) -> np.ndarray:
    """A coefficient per enumeration code, from a name -> value mapping."""
    unknown = set(mapping) - set(values)
    if unknown:
        raise ValueError(f"not in the enumeration: {sorted(unknown)}")
    return np.array([mapping.get(v, default) for v in values], dtype=np.float64)


R = {name: _code(ROUTE_VALUES, name) for name in ROUTE_VALUES}

# --- the mechanism: log-odds of approval (approved or partial) given decided -----
# Every number here appears in docs/synthetic-data.md (mechanism_table() renders it).

# Intercept per route, for the reference profile: asked by app, revolving credit,
# 10,000 yuan, 0 days overdue, no prior overdues, no on-time history, no broken
# agreement, income_drop, no documents, 12 months asked (installment, suspension),
# 3 months asked (deferral).
ROUTE_INTERCEPT = _by(ROUTE_VALUES, {
    "installment": 1.13,
    "deferral": 0.26,
    "interest_waiver": -1.33,
    "interest_suspension": -2.06,
    "settlement": -2.38,
    "other": -0.94,
})
PRODUCT_EFFECT = _by(PRODUCT_VALUES, {
    "cash_loan": -0.10,
    "credit_card": 0.15,  # banks must negotiate personalised installments (个性化分期)
    "consumer_loan": -0.20,
    "mortgage": 0.30,  # secured: lenders prefer restructuring to foreclosure
    "student_loan": 0.40,
})
CHANNEL_EFFECT = _by(CHANNEL_VALUES, {"regulator": 0.40})  # third_party: exactly 0
HARDSHIP_EFFECT = _by(HARDSHIP_VALUES, {
    "unemployment": 0.10,
    "illness": 0.35,
    "family_emergency": 0.15,
    "disaster": 0.60,
    "over_indebted": -0.40,
    "other": -0.10,
})
DOC_EFFECT = {"doc_income_proof": 0.35, "doc_bank_statement": 0.25, "doc_hardship_evidence": 0.45}
GOOD_HISTORY_PER_YEAR = _by(ROUTE_VALUES, {"interest_waiver": 0.45}, default=0.15)
GOOD_HISTORY_CAP_MONTHS = 48
BROKE_PRIOR_EFFECT = _by(ROUTE_VALUES, {"interest_suspension": -1.60}, default=-0.60)
PRIOR_OVERDUE_PER_EPISODE = -0.18
PRIOR_OVERDUE_CAP = 6
# Long overdue periods lower the chance beyond 90 days (per 90 days, at most 4 units),
# except for settlement, where old (often written-off) debt makes a discount likelier:
# per 90 days from day 0, at most 8 units.
OVERDUE_PER_90D_BEYOND_90 = _by(ROUTE_VALUES, {"settlement": 0.0}, default=-0.25)
OVERDUE_CAP_UNITS = 4
SETTLEMENT_OVERDUE_PER_90D = 0.50
SETTLEMENT_OVERDUE_CAP_UNITS = 8
AMOUNT_PER_LOG10 = -0.20  # per tenfold balance relative to 10,000 yuan (floored at 100 yuan)
# Longer plans than usual are granted less readily; months above the reference.
REQUESTED_MONTHS_PER_MONTH = _by(ROUTE_VALUES, {"installment": -0.02, "deferral": -0.15,
                                                "interest_suspension": -0.01})
REQUESTED_MONTHS_REFERENCE = _by(ROUTE_VALUES, {"installment": 12, "deferral": 3,
                                                "interest_suspension": 12})
# Routes for which requested_months is asked at all; elsewhere it is empty (not unknown).
MONTHS_ROUTES = ("installment", "deferral", "interest_suspension")
MONTHS_APPLY = _by(ROUTE_VALUES, {r: 1.0 for r in MONTHS_ROUTES}).astype(bool)

# After the decision: the lender offers installments instead of the route asked for
# (recorded as partial), and how approvals split between approved and partial.
COUNTER_OFFER_INSTALLMENT = _by(ROUTE_VALUES, {
    "deferral": 0.10, "interest_waiver": 0.10, "interest_suspension": 0.45,
    "settlement": 0.15, "other": 0.60,
})
PARTIAL_SHARE = _by(ROUTE_VALUES, {
    "installment": 0.20, "deferral": 0.25, "interest_waiver": 0.45,
    "interest_suspension": 0.30, "settlement": 0.35, "other": 0.30,
})
# Plan length in months for granted routes without granted_months.
PLAN_MONTHS_WITHOUT_MONTHS = _by(ROUTE_VALUES, {"interest_waiver": 3, "settlement": 1,
                                                "other": 6})
# Log-odds that a granted plan eventually breaks.
BREAK_INTERCEPT = -1.50
BREAK_PER_PRIOR_OVERDUE = 0.25  # capped at PRIOR_OVERDUE_CAP
BREAK_BROKE_PRIOR = 1.00
BREAK_PER_GOOD_HISTORY_YEAR = -0.25  # capped at GOOD_HISTORY_CAP_MONTHS
BREAK_OVER_INDEBTED = 0.50
BREAK_SETTLEMENT = -0.80  # one lump sum: less time to break

WITHDRAWN_SHARE = 0.03

# Optional features blanked completely at random, per column (share of rows where
# the column applies).
UNKNOWN_RATE = {
    "channel": 0.06,
    "outstanding_amount": 0.05,
    "overdue_days": 0.07,
    "prior_overdues_12m": 0.12,
    "good_history_months": 0.14,
    "broke_prior_agreement": 0.13,
    "hardship_reason": 0.09,
    "doc_income_proof": 0.10,
    "doc_bank_statement": 0.11,
    "doc_hardship_evidence": 0.10,
    "requested_months": 0.08,
    "age_band": 0.08,
    "region": 0.06,
}

# --- population shapes ------------------------------------------------------------

PRODUCT_MIX = _by(PRODUCT_VALUES, {
    "revolving_credit": 0.31, "cash_loan": 0.25, "credit_card": 0.17, "consumer_loan": 0.12,
    "mortgage": 0.04, "student_loan": 0.03, "vehicle_loan": 0.05, "other": 0.03,
})
# Route asked for, per product (rows: products in contract order).
_ROUTE_MIX_DEFAULT = {"installment": 0.40, "deferral": 0.15, "interest_waiver": 0.16,
                      "interest_suspension": 0.14, "settlement": 0.11, "other": 0.04}
_ROUTE_MIX_BY_PRODUCT = {
    "revolving_credit": {"installment": 0.44, "deferral": 0.12, "interest_waiver": 0.18,
                         "interest_suspension": 0.12, "settlement": 0.10, "other": 0.04},
    "credit_card": {"installment": 0.36, "deferral": 0.10, "interest_waiver": 0.16,
                    "interest_suspension": 0.22, "settlement": 0.12, "other": 0.04},
    "mortgage": {"installment": 0.25, "deferral": 0.50, "interest_waiver": 0.10,
                 "interest_suspension": 0.08, "settlement": 0.02, "other": 0.05},
    "vehicle_loan": {"installment": 0.35, "deferral": 0.35, "interest_waiver": 0.12,
                     "interest_suspension": 0.08, "settlement": 0.05, "other": 0.05},
}
ROUTE_MIX = np.array([_by(ROUTE_VALUES, _ROUTE_MIX_BY_PRODUCT.get(p, _ROUTE_MIX_DEFAULT))
                      for p in PRODUCT_VALUES])
# Outstanding balance, log-normal per product: median yuan and sigma of log.
AMOUNT_MEDIAN = _by(PRODUCT_VALUES, {
    "revolving_credit": 6_000, "cash_loan": 22_000, "credit_card": 28_000,
    "consumer_loan": 45_000, "mortgage": 650_000, "student_loan": 16_000,
    "vehicle_loan": 85_000, "other": 12_000,
})
AMOUNT_SIGMA = _by(PRODUCT_VALUES, {"revolving_credit": 0.85, "mortgage": 0.60,
                                    "student_loan": 0.50}, default=0.80)
# Days overdue, log-normal per route: median and sigma; settlement asks come late.
OVERDUE_MEDIAN = _by(ROUTE_VALUES, {"settlement": 210}, default=40)
OVERDUE_SIGMA = 1.0
OVERDUE_MAX = 3_000
CHANNEL_MIX = _by(CHANNEL_VALUES, {"app": 0.42, "hotline": 0.24, "online_chat": 0.14,
                                   "in_person": 0.05, "third_party": 0.09, "regulator": 0.06})
HARDSHIP_MIX = _by(HARDSHIP_VALUES, {
    "unemployment": 0.18, "income_drop": 0.26, "illness": 0.10, "business_failure": 0.14,
    "family_emergency": 0.08, "disaster": 0.02, "over_indebted": 0.16, "other": 0.06,
})
AGE_BAND_MIX = _by(AGE_BAND_VALUES, {"18-24": 0.18, "25-34": 0.38, "35-44": 0.24,
                                     "45-54": 0.12, "55-64": 0.06, "65+": 0.02})
# Province codes (GB/T 2260 two-letter), weighted roughly by population of borrowers.
REGIONS = {
    "GD": 0.11, "JS": 0.07, "ZJ": 0.07, "SD": 0.07, "HA": 0.06, "SC": 0.06, "HB": 0.045,
    "HN": 0.045, "HE": 0.045, "FJ": 0.035, "AH": 0.04, "BJ": 0.035, "SH": 0.035, "SN": 0.03,
    "LN": 0.03, "JX": 0.03, "GX": 0.03, "CQ": 0.025, "YN": 0.025, "SX": 0.02, "TJ": 0.015,
    "GZ": 0.02, "HL": 0.015, "JL": 0.012, "NM": 0.012, "XJ": 0.012, "GS": 0.012, "HI": 0.008,
    "NX": 0.004, "QH": 0.003, "XZ": 0.001,
}
REGION_VALUES = tuple(REGIONS)
REGION_MIX = np.array(list(REGIONS.values())) / sum(REGIONS.values())
REQUESTED_MONTHS_CHOICES = {
    "installment": ((3, 6, 12, 18, 24, 36, 48, 60), (0.04, 0.12, 0.28, 0.10, 0.22, 0.14, 0.04, 0.06)),
    "deferral": ((1, 2, 3, 6, 12), (0.22, 0.20, 0.34, 0.18, 0.06)),
    "interest_suspension": ((12, 24, 36, 48, 60), (0.10, 0.20, 0.30, 0.15, 0.25)),
}


# --- the truth ----------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _log_odds(route: np.ndarray, product: np.ndarray, channel: np.ndarray,
              amount: np.ndarray, overdue: np.ndarray, prior: np.ndarray, good: np.ndarray,
              broke: np.ndarray, hardship: np.ndarray, docs: dict[str, np.ndarray],
              months: np.ndarray) -> np.ndarray:
    """Log-odds of approval from integer codes and float values (NaN = unknown).

    months is only read where the route asks for months; elsewhere it may be NaN.
    """
    overdue_units = overdue / 90.0
    z = (ROUTE_INTERCEPT[route] + PRODUCT_EFFECT[product] + CHANNEL_EFFECT[channel]
         + HARDSHIP_EFFECT[hardship]
         + GOOD_HISTORY_PER_YEAR[route] * np.minimum(good, GOOD_HISTORY_CAP_MONTHS) / 12.0
         + BROKE_PRIOR_EFFECT[route] * broke
         + PRIOR_OVERDUE_PER_EPISODE * np.minimum(prior, PRIOR_OVERDUE_CAP)
         + OVERDUE_PER_90D_BEYOND_90[route] * np.clip(overdue_units - 1.0, 0.0, OVERDUE_CAP_UNITS)
         + np.where(route == R["settlement"],
                    SETTLEMENT_OVERDUE_PER_90D * np.minimum(overdue_units, SETTLEMENT_OVERDUE_CAP_UNITS),
                    0.0)
         + AMOUNT_PER_LOG10 * np.log10(np.maximum(amount, 100.0) / 10_000.0))
    for name, size in DOC_EFFECT.items():
        z = z + size * docs[name]
    applies = MONTHS_APPLY[route]
    months_term = REQUESTED_MONTHS_PER_MONTH[route] * (
        np.where(applies, months, 0.0) - REQUESTED_MONTHS_REFERENCE[route])
    return z + np.where(applies, months_term, 0.0)


TRUTH_FEATURES = (
    "product", "route", "channel", "outstanding_amount", "overdue_days", "prior_overdues_12m",
    "good_history_months", "broke_prior_agreement", "hardship_reason", *DOC_COLUMNS,
    "requested_months",
)


def true_probability(frame: pl.DataFrame) -> np.ndarray:
    """P(approved or partial | decided) for each row of `frame`, as float64.

    `frame` holds the contract's columns in canonical English values (strings or
    polars Enum/Categorical; booleans as Boolean). The result is NaN for a row
    where a feature the mechanism reads is unknown: product, route, channel,
    outstanding_amount, overdue_days, prior_overdues_12m, good_history_months,
    broke_prior_agreement, hardship_reason, the three doc_ flags, and
    requested_months for the routes that ask for months (installment, deferral,
    interest_suspension; elsewhere requested_months is ignored).
    """
    missing = [c for c in TRUTH_FEATURES if c not in frame.columns]
    if missing:
        raise ValueError(f"true_probability needs the columns {missing}")

    def codes(column: str, values: tuple[str, ...]) -> np.ndarray:
        mapping = {v: i for i, v in enumerate(values)}
        mapped = frame.get_column(column).cast(pl.String).replace_strict(
            mapping, default=None, return_dtype=pl.Int64)
        return mapped.fill_null(-1).to_numpy()

    def floats(column: str) -> np.ndarray:
        return frame.get_column(column).cast(pl.Float64).fill_null(np.nan).to_numpy()

    route = codes("route", ROUTE_VALUES)
    product = codes("product", PRODUCT_VALUES)
    channel = codes("channel", CHANNEL_VALUES)
    hardship = codes("hardship_reason", HARDSHIP_VALUES)
    unknown_code = (route < 0) | (product < 0) | (channel < 0) | (hardship < 0)
    safe = lambda a: np.where(a < 0, 0, a)  # noqa: E731 - index placeholder, masked below
    z = _log_odds(
        safe(route), safe(product), safe(channel), floats("outstanding_amount"),
        floats("overdue_days"), floats("prior_overdues_12m"), floats("good_history_months"),
        floats("broke_prior_agreement"), safe(hardship),
        {name: floats(name) for name in DOC_COLUMNS}, floats("requested_months"),
    )
    p = _sigmoid(z)
    p[unknown_code] = np.nan
    return p


def _fmt(x: float) -> str:
    return f"{x:+.2f}" if x else "0"


def mechanism_table() -> str:
    """The mechanism's effects as a markdown table (log-odds), rendered from the
    constants above; docs/synthetic-data.md carries it verbatim."""
    rows = [("effect", "applies to", "log-odds", "unit")]
    for route in ROUTE_VALUES:
        rows.append((f"intercept: {route}", route, _fmt(ROUTE_INTERCEPT[R[route]]),
                     "reference profile"))
    for product in PRODUCT_VALUES:
        rows.append((f"product {product}", "all routes", _fmt(PRODUCT_EFFECT[_code(PRODUCT_VALUES, product)]),
                     "vs revolving_credit"))
    for channel in CHANNEL_VALUES:
        rows.append((f"channel {channel}", "all routes", _fmt(CHANNEL_EFFECT[_code(CHANNEL_VALUES, channel)]),
                     "vs app"))
    for reason in HARDSHIP_VALUES:
        rows.append((f"hardship_reason {reason}", "all routes",
                     _fmt(HARDSHIP_EFFECT[_code(HARDSHIP_VALUES, reason)]), "vs income_drop"))
    for name, size in DOC_EFFECT.items():
        rows.append((f"{name} true", "all routes", _fmt(size), "vs false"))
    waiver = GOOD_HISTORY_PER_YEAR[R["interest_waiver"]]
    other = GOOD_HISTORY_PER_YEAR[R["installment"]]
    rows.append(("good_history_months", "interest_waiver", _fmt(waiver),
                 f"per 12 months, capped at {GOOD_HISTORY_CAP_MONTHS}"))
    rows.append(("good_history_months", "all but interest_waiver", _fmt(other),
                 f"per 12 months, capped at {GOOD_HISTORY_CAP_MONTHS}"))
    rows.append(("broke_prior_agreement true", "interest_suspension",
                 _fmt(BROKE_PRIOR_EFFECT[R["interest_suspension"]]), "vs false"))
    rows.append(("broke_prior_agreement true", "all but interest_suspension",
                 _fmt(BROKE_PRIOR_EFFECT[R["installment"]]), "vs false"))
    rows.append(("prior_overdues_12m", "all routes", _fmt(PRIOR_OVERDUE_PER_EPISODE),
                 f"per episode, capped at {PRIOR_OVERDUE_CAP}"))
    rows.append(("overdue_days beyond 90", "all but settlement",
                 _fmt(OVERDUE_PER_90D_BEYOND_90[R["installment"]]),
                 f"per 90 days beyond day 90, capped at {OVERDUE_CAP_UNITS} units"))
    rows.append(("overdue_days", "settlement", _fmt(SETTLEMENT_OVERDUE_PER_90D),
                 f"per 90 days from day 0, capped at {SETTLEMENT_OVERDUE_CAP_UNITS} units"))
    rows.append(("outstanding_amount", "all routes", _fmt(AMOUNT_PER_LOG10),
                 "per tenfold vs 10,000 yuan (floored at 100)"))
    for route in MONTHS_ROUTES:
        rows.append(("requested_months", route, _fmt(REQUESTED_MONTHS_PER_MONTH[R[route]]),
                     f"per month above {REQUESTED_MONTHS_REFERENCE[R[route]]:.0f}"))
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|---|---|---:|---|")
    return "\n".join(lines) + "\n"


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


# --- writing --------------------------------------------------------------------------


def _to_zh(frame: pl.DataFrame) -> pl.DataFrame:
    """Chinese labels, 是/否 and YYYY/MM/DD dates, under the Chinese headers."""
    exprs = []
    for column in contract.COLUMNS:
        if column.name not in frame.columns:
            continue
        col = pl.col(column.name)
        if column.enum is not None:
            mapping = {v: contract.zh_label(column.enum, v) for v in column.enum}
            col = col.replace_strict(mapping, default=None, return_dtype=pl.String)
        elif column.kind == "boolean":
            col = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否"))
        elif column.kind == "date":
            col = col.dt.strftime("%Y/%m/%d")
        exprs.append(col.alias(column.zh))
    return frame.select(exprs)


def _kind(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in ((".csv.gz", "csv.gz"), (".csv", "csv"), (".parquet", "parquet")):
        if name.endswith(suffix):
            return kind
    raise ValueError(f"{path}: the file name must end in .csv, .csv.gz or .parquet")


class _TableWriter:
    """Streams frames to one CSV / CSV.gz / Parquet file, written aside and renamed.

    Bytes depend on the frames only: gzip without name or time stamp, Parquet
    through pyarrow with fixed settings.
    """

    def __init__(self, path: Path, encoding: str = "utf-8", float_precision: int = 2):
        self.path = path
        self.kind = _kind(path)
        self.encoding = encoding
        self.float_precision = float_precision
        path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = path.with_name(f".{path.name}.partial")
        self._raw = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
        self._out = (gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
                     if self.kind == "csv.gz" else self._raw)
        self._parquet = None
        self._header = True

    def write(self, frame: pl.DataFrame) -> None:
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            table = frame.to_arrow()
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self._raw, table.schema, compression="zstd")
            self._parquet.write_table(table)
            return
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=self._header, float_precision=self.float_precision)
        self._header = False
        data = buffer.getvalue()
        if self.encoding != "utf-8":
            data = data.decode("utf-8").encode(self.encoding)
        self._out.write(data)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._out is not self._raw:
            self._out.close()
        self._raw.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._raw.close()
        self._tmp.unlink(missing_ok=True)


def _write(frames: Iterator[pl.DataFrame], out: Path, lang: str, truth: Path | None,
           progress: Callable[[int], None] | None = None) -> dict[str, str]:
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be en or zh, got {lang!r}")
    writers = {"cases": _TableWriter(out, "gb18030" if lang == "zh" else "utf-8")}
    if truth is not None:
        writers["truth"] = _TableWriter(truth, float_precision=6)
    with ExitStack() as cleanup:
        cleanup.callback(lambda: [w.abort() for w in writers.values()])
        for frame in frames:
            cases = frame.select(contract.COLUMN_NAMES)
            writers["cases"].write(_to_zh(cases) if lang == "zh" else cases)
            if truth is not None:
                writers["truth"].write(frame.select("case_id", "true_probability"))
            if progress is not None:
                progress(frame.height)
        for w in writers.values():
            w.close()
        cleanup.pop_all()
    return {label: str(w.path) for label, w in writers.items()}


def write_cases(out: Path, cases: int, seed: int, lang: str = "en", truth: Path | None = None,
                progress: Callable[[int], None] | None = None) -> dict[str, str]:
    """Write `cases` synthetic cases to `out` (CSV, CSV.gz or Parquet by extension).

    lang="zh": Chinese headers and labels (是/否, YYYY/MM/DD), CSV in GB18030.
    truth: also write case_id, true_probability there. Returns label -> path.
    Same arguments, same bytes.
    """
    _check(cases, seed)
    out, truth = Path(out), (Path(truth) if truth is not None else None)
    _kind(out)
    if truth is not None:
        _kind(truth)
    return _write(generate(cases, seed), out, lang, truth, progress)


# --- update batches --------------------------------------------------------------------

_CASE_ID = re.compile(r"^SYN(\d+)-(\d+)$")


@dataclass(frozen=True)
class _Earlier:
    state: pl.DataFrame  # case_id, index, outcome, plan_status (canonical values)
    seed: int
    lang: str


def _read_table(path: Path, columns: list[str]) -> tuple[pl.DataFrame, str]:
    """Read `columns` (canonical names) of a file we wrote; returns (frame, lang)."""
    kind = _kind(path)
    zh_of = {c.name: c.zh for c in contract.COLUMNS}
    if kind == "parquet":
        names = pl.read_parquet_schema(path).names()
        lang = "zh" if zh_of["case_id"] in names else "en"
        wanted = [zh_of[c] if lang == "zh" else c for c in columns]
        frame = pl.read_parquet(path, columns=wanted)
    else:
        opener = gzip.open if kind == "csv.gz" else open
        with opener(path, "rb") as raw:
            head = raw.readline()
        lang = "zh" if zh_of["case_id"].encode("gb18030") in head else "en"
        wanted = [zh_of[c] if lang == "zh" else c for c in columns]
        with tempfile.TemporaryDirectory() as tmp:
            # Transcode to plain UTF-8 in a stream (polars reads UTF-8 only).
            plain = Path(tmp) / "plain.csv"
            with opener(path, "rb") as raw, open(plain, "w", encoding="utf-8") as dst:
                src = io.TextIOWrapper(raw, encoding="gb18030" if lang == "zh" else "utf-8")
                shutil.copyfileobj(src, dst, 1 << 20)
            frame = pl.read_csv(plain, columns=wanted, infer_schema=False)
    frame = frame.rename(dict(zip(wanted, columns, strict=True)))
    if lang == "zh":
        frame = frame.with_columns(
            pl.col(c).replace_strict(contract.enum_spellings(contract.BY_NAME[c].enum),
                                     default=None)
            for c in columns if contract.BY_NAME[c].enum is not None
        )
    return frame, lang


def _read_earlier(path: Path) -> _Earlier:
    frame, lang = _read_table(path, ["case_id", "outcome", "plan_status"])
    parts = frame.get_column("case_id").str.extract_groups(_CASE_ID.pattern)
    seeds = parts.struct.field("1").unique().to_list()
    if parts.struct.field("2").null_count() or len(seeds) != 1:
        raise ValueError(f"{path}: not a synthetic file of one seed (case_id SYN<seed>-<index>)")
    state = frame.with_columns(index=parts.struct.field("2").cast(pl.Int64))
    return _Earlier(state=state, seed=int(seeds[0]), lang=lang)


def _update_frames(earlier: _Earlier, as_of: date, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """Rows of the earlier file whose outcome or plan status differ on `as_of`."""
    state = earlier.state.sort("index")
    block_of = (state.get_column("index") // BLOCK_ROWS).unique().sort().to_list()
    pending: list[pl.DataFrame] = []
    rows = 0
    for block in block_of:
        mine = state.filter(pl.col("index") // BLOCK_ROWS == block)
        later = _observe(_story_block(earlier.seed, block), earlier.seed, as_of)
        joined = later.join(mine.select("case_id", before_outcome="outcome",
                                        before_plan="plan_status"), on="case_id", how="inner",
                            maintain_order="left")
        changed = joined.filter(
            pl.col("outcome").ne_missing(pl.col("before_outcome"))
            | pl.col("plan_status").ne_missing(pl.col("before_plan"))
        ).drop("before_outcome", "before_plan")
        pending.append(changed)
        rows += changed.height
        if rows >= chunk_rows:
            yield pl.concat(pending)
            pending, rows = [], 0
    if pending:
        yield pl.concat(pending)


def write_updates(earlier: Path, out: Path, seed: int | None = None, as_of: date = UPDATES_AS_OF,
                  lang: str | None = None) -> dict[str, str]:
    """A later batch re-stating the cases of an earlier synthetic file that changed.

    The cases' hidden stories are regenerated from the seed and index in their
    case_ids and exported as of `as_of` (three months after AS_OF by default):
    pending cases whose decision has come are decided (or withdrawn), and granted
    plans whose end or break has come are completed or broken. Only case_ids of
    the earlier file appear, each with all its columns. `seed`, when given, must
    match the case_ids. lang defaults to the earlier file's. Returns label -> path.
    """
    earlier, out = Path(earlier), Path(out)
    _kind(out)
    before = _read_earlier(earlier)
    if seed is not None and seed != before.seed:
        raise ValueError(f"{earlier}: its case_ids carry seed {before.seed}, not {seed}")
    written = _write(_update_frames(before, as_of, DEFAULT_CHUNK_ROWS), out,
                     lang or before.lang, None)
    return {"updates": written["cases"]}


# --- the command -------------------------------------------------------------------------


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _progress_bar(total: int):
    """A rich progress bar on a terminal (stderr), else nothing."""
    if not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("synthesising cases", total=total)
    return bar, (lambda rows: bar.advance(task, rows))


def write_cli(home: Home, *, cases: int, seed: int, out: str | None, truth: str | None,
              lang: str, updates_of: str | None) -> dict[str, str]:
    """`relief synth`: cases (default home.inbox/synthetic-seed<S>-<N>.csv), or with
    updates_of an update batch of that file (default home.inbox/<stem>-update<ext>).
    With updates_of, the seed comes from the earlier file's case_ids."""
    if updates_of is not None:
        if truth is not None:
            raise ValueError("--truth applies to new cases; an update batch re-states the truth "
                             "of the earlier file's cases unchanged")
        earlier = Path(updates_of)
        ext = earlier.name[len(_stem(earlier)):]
        target = Path(out) if out else home.inbox / f"{_stem(earlier)}-update{ext}"
        return write_updates(earlier, target, None,
                             lang=lang if lang != "en" else None)
    target = Path(out) if out else home.inbox / f"synthetic-seed{seed}-{cases}.csv"
    bar, advance = _progress_bar(cases)
    if bar is None:
        return write_cases(target, cases, seed, lang, Path(truth) if truth else None)
    with bar:
        return write_cases(target, cases, seed, lang, Path(truth) if truth else None, advance)
