"""The mechanism behind the synthetic cases: time frame, sizes, every coefficient of the
log-odds of approval and of a plan breaking, the population's shapes, and the truth
(true_probability) computed from them. Every number here appears in
docs/synthetic-data.md (mechanism_table() renders it)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pipelines import contract

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
