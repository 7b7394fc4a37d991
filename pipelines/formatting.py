"""Printed figures, one way everywhere: rates, intervals, counts, money, days,
differences and p-values as text, and tables of them for a terminal or a pipe.

Used by `relief stats` and `relief sql` (table format); the report and the guide
are meant to print through it too, so one figure reads the same wherever it
appears. Every function takes None (SQL null) and prints MISSING for it.

    from pipelines import formatting as fmt

    fmt.percent(0.7491)                          -> '74.9%'
    fmt.rate_and_interval(0.7491, 0.7462, 0.7524) -> ('74.9%', '74.6%', '75.3%')
    fmt.interval(0.7462, 0.7524, rate=0.7491)    -> '74.6%–75.3%'
    fmt.points(-0.0333)                          -> '-3.3 pp'   (a change of a rate)
    fmt.points(0.0004)                           -> '+0.04 pp'  (never '+0.0' for a real change)
    fmt.count(79293)                             -> '79,293'
    fmt.money(1124.5)                            -> '1,125'     (yuan; the unit is the column's)
    fmt.days(7.5)                                -> '7.5'
    fmt.p_value(3e-9)                            -> '<0.0001'
    fmt.print_table(headers, rows, aligns)       # plain text off a terminal, rich on one

The promises (docs/cli.md, tested in tests/test_formatting.py):
- A rate and its interval share one precision (one decimal of a percent unless
  asked), and the printed interval always holds the printed rate: the bounds are
  rounded outward (low down, high up), then clamped to the printed rate. When the
  rounded bounds would coincide although the interval has width, all three get
  more decimals (up to MAX_DECIMALS) instead of printing "75.0%–75.0%".
- A difference is never printed as ±0.0 when it is not zero: it gets the decimals
  it needs (up to MAX_DECIMALS), and a sign.
- Off a terminal a table is plain text at full width, never cut or ellipsized; on
  a terminal a table may wrap text, but a figure is never cut or changed (its
  column never folds or shrinks below its widest figure).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TextIO

MISSING = "–"
RATE_DECIMALS = 1  # of a percent: 74.9%
MAX_DECIMALS = 6
TEXT_MIN_WIDTH = 10  # on a terminal, a text column folds down to this width at most

# --- single figures ---------------------------------------------------------------


def _decimal(value: float) -> Decimal:
    """The decimal a float was written as (its shortest repr), not its binary
    expansion: 0.123 is 0.123, so rounding 12.3 down stays 12.3."""
    return Decimal(repr(float(value)))


def _fixed(value: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> str:
    text = f"{value.quantize(Decimal(1).scaleb(-decimals), rounding=rounding):f}"
    return "0" + text[2:] if text.startswith("-0") and not text.strip("-0.") else text


def percent(rate: float | None, decimals: int = RATE_DECIMALS) -> str:
    """A share 0–1 as a percent: 0.7491 -> '74.9%'."""
    if rate is None or _is_nan(rate):
        return MISSING
    return _fixed(_decimal(rate) * 100, decimals) + "%"


def rate_and_interval(
    rate: float | None, low: float | None, high: float | None, decimals: int = RATE_DECIMALS
) -> tuple[str, str, str]:
    """A rate and its interval bounds as percents with one shared precision, such
    that the printed low <= printed rate <= printed high always holds.

    Bounds round outward; a bound on the wrong side of the rate (which a correct
    interval never has, but the printed text must not contradict itself) is
    clamped to the rate. Decimals grow while the interval has width but its
    printed bounds coincide. A missing bound prints MISSING.
    """
    if rate is None or _is_nan(rate):
        return MISSING, _bound(low, decimals, ROUND_FLOOR), _bound(high, decimals, ROUND_CEILING)
    while True:
        shown = _decimal(rate) * 100
        printed = _fixed(shown, decimals)
        lo = hi = None
        if low is not None and not _is_nan(low):
            lo = min(Decimal(_fixed(_decimal(low) * 100, decimals, ROUND_FLOOR)), Decimal(printed))
        if high is not None and not _is_nan(high):
            hi = max(Decimal(_fixed(_decimal(high) * 100, decimals, ROUND_CEILING)),
                     Decimal(printed))
        width = (high - low) if lo is not None and hi is not None else 0
        if lo is None or hi is None or lo != hi or width <= 0 or decimals >= MAX_DECIMALS:
            break
        decimals += 1
    return (printed + "%",
            MISSING if lo is None else _fixed(lo, decimals) + "%",
            MISSING if hi is None else _fixed(hi, decimals) + "%")


def _bound(value: float | None, decimals: int, rounding: str) -> str:
    if value is None or _is_nan(value):
        return MISSING
    return _fixed(_decimal(value) * 100, decimals, rounding) + "%"


def interval(low: float | None, high: float | None, rate: float | None = None,
             decimals: int = RATE_DECIMALS) -> str:
    """An interval as 'low–high' in percent, sharing the rate's precision and
    holding it when the rate is given (rate_and_interval)."""
    _, lo, hi = rate_and_interval(rate if rate is not None else low, low, high, decimals)
    if lo == MISSING and hi == MISSING:
        return MISSING
    return f"{lo}–{hi}"


def points(change: float | None, decimals: int = RATE_DECIMALS) -> str:
    """A difference of two rates in percentage points, signed: -0.0333 -> '-3.3 pp'.
    A change that is not zero gets the decimals it needs never to print as 0."""
    if change is None or _is_nan(change):
        return MISSING
    return signed(change * 100, decimals) + " pp"


def signed(difference: float | None, decimals: int = 1) -> str:
    """A difference with its sign, never '+0.0' or '-0.0' for a real change:
    -3.33 -> '-3.3'; 0.004 -> '+0.004'; 0 -> '0.0'."""
    if difference is None or _is_nan(difference):
        return MISSING
    value = _decimal(difference)
    if value == 0:
        return _fixed(Decimal(0), decimals)
    text = _fixed(value, decimals)
    while Decimal(text) == 0 and decimals < MAX_DECIMALS:
        decimals += 1
        text = _fixed(value, decimals)
    if Decimal(text) == 0:  # smaller than MAX_DECIMALS can show
        return ("+" if value > 0 else "-") + "<" + _fixed(Decimal(1).scaleb(-decimals), decimals)
    return text if text.startswith("-") else "+" + text


def count(n: int | None) -> str:
    """A count of cases (or rows, files) with thousands separators: '79,293'."""
    if n is None:
        return MISSING
    return f"{int(n):,}"


def money(amount: float | Decimal | None, decimals: int = 0) -> str:
    """An amount of money (yuan) with thousands separators: 1124.5 -> '1,125'."""
    if amount is None or _is_nan(amount):
        return MISSING
    value = amount if isinstance(amount, Decimal) else _decimal(amount)
    rounded = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{decimals}f}"


def days(value: float | None) -> str:
    """Days to decision: whole days as such, an interpolated half day as '7.5'."""
    if value is None or _is_nan(value):
        return MISSING
    rounded = _decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


def p_value(p: float | None) -> str:
    """A p-value: four decimals, '<0.0001' below that (never a bare 0)."""
    if p is None or _is_nan(p):
        return MISSING
    return "<0.0001" if p < 0.0001 else _fixed(_decimal(p), 4)


def number(value: float | None, significant: int = 4) -> str:
    """Any other number: at least `significant` significant digits (up to
    MAX_DECIMALS decimals), never in scientific notation: 0.07557 -> '0.07557'."""
    if value is None or _is_nan(value):
        return MISSING
    return _fixed(_decimal(value), decimals_for([value], significant))


def decimals_for(values: Sequence[float], significant: int = 4) -> int:
    """Decimals that show every nonzero value with at least `significant`
    significant digits (at least 1, at most MAX_DECIMALS): one column, one precision."""
    needed = 1
    for v in values:
        if v is None or _is_nan(v) or v == 0 or math.isinf(v):
            continue
        magnitude = math.floor(math.log10(abs(v)))
        needed = max(needed, significant - 1 - magnitude)
    return min(needed, MAX_DECIMALS)


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


# --- query results as text ----------------------------------------------------------

# Column names that say what their numbers are (the marts' naming; docs/data-dictionary.md).
RATE_SUFFIXES = ("_rate", "_share")
LOW_SUFFIX, HIGH_SUFFIX = "_low", "_high"
CHANGE_SUFFIXES = ("_change",)
MONEY_SUFFIXES = ("_amount",)
DAYS_MARKERS = ("days_to_decision",)
P_VALUE_PREFIXES = ("p_value",)


def column_texts(columns: dict[str, list]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every value of a query result as text, by what its column holds, and each
    column's alignment ('right' for figures, 'left' otherwise).

    By name (the marts' conventions): *_rate and *_share are percents, and with
    <rate>_low / <rate>_high columns an interval printed as rate_and_interval
    prints it (a bound without its rate is a percent rounded outward); *_change a change of a rate in points; *_amount money;
    *days_to_decision* days; p_value* p-values. Other integers print as they are,
    other floats with one precision per column showing at least four significant
    digits. Dates as ISO; None as MISSING.
    """
    texts: dict[str, list[str]] = {}
    aligns: dict[str, str] = {}
    rates = {name for name in columns if name.endswith(RATE_SUFFIXES) and _numeric(columns[name])}
    bound_of = {}  # bound column -> (its rate column, or None when the rate is absent)
    for name in columns:
        for suffix in (LOW_SUFFIX, HIGH_SUFFIX):
            stem = name.removesuffix(suffix)
            if name.endswith(suffix) and stem.endswith(RATE_SUFFIXES) and _numeric(columns[name]):
                bound_of[name] = stem if stem in rates else None
    for name, values in columns.items():
        numeric = _numeric(values)
        aligns[name] = "right" if numeric else "left"
        if name in bound_of:
            if bound_of[name] is None:  # a bound alone: still rounded outward
                rounding = ROUND_FLOOR if name.endswith(LOW_SUFFIX) else ROUND_CEILING
                texts[name] = [_bound(v, RATE_DECIMALS, rounding) for v in values]
            continue  # printed with its rate
        if name in rates:
            low, high = name + LOW_SUFFIX, name + HIGH_SUFFIX
            none = [None] * len(values)
            triples = [rate_and_interval(r, lo, hi) for r, lo, hi in zip(
                values, columns.get(low, none) if low in bound_of else none,
                columns.get(high, none) if high in bound_of else none, strict=True)]
            texts[name] = [t[0] for t in triples]
            if low in bound_of:
                texts[low] = [t[1] for t in triples]
            if high in bound_of:
                texts[high] = [t[2] for t in triples]
        elif not numeric:
            texts[name] = [_plain(v) for v in values]
        elif name.endswith(CHANGE_SUFFIXES):
            texts[name] = [points(v) for v in values]
        elif name.startswith(P_VALUE_PREFIXES):
            texts[name] = [p_value(v) for v in values]
        elif name.endswith(MONEY_SUFFIXES):
            texts[name] = [money(v) for v in values]
        elif any(marker in name for marker in DAYS_MARKERS):
            texts[name] = [days(v) for v in values]
        elif all(v is None or isinstance(v, int) for v in values):
            texts[name] = [_plain(v) for v in values]
        else:
            floats = [float(v) for v in values if v is not None]
            decimals = decimals_for(floats)
            texts[name] = [MISSING if v is None or _is_nan(v)
                           else _fixed(_decimal(float(v)), decimals) for v in values]
    return {name: texts[name] for name in columns}, {name: aligns[name] for name in columns}


def _numeric(values: list) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present)


def _plain(value) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- tables ------------------------------------------------------------------------------


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                aligns: Sequence[str] | None = None, title: str | None = None) -> str:
    """Fixed-width plain text, every cell whole: columns as wide as their widest
    cell, two spaces apart, figures right-aligned, a rule under the header."""
    aligns = aligns or ["left"] * len(headers)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if a == "right" else c.ljust(w)
                         for c, w, a in zip(cells, widths, aligns, strict=True)).rstrip()

    out = [title] if title else []
    out += [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out) + "\n"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                aligns: Sequence[str] | None = None, title: str | None = None,
                notes: Sequence[str] = (), file: TextIO | None = None) -> None:
    """A table on `file` (stdout): plain_table off a terminal; on one, a rich table
    whose figure columns never fold, shrink or ellipsize (text columns may wrap).
    Notes follow the table, one per line."""
    file = file or sys.stdout
    aligns = list(aligns or ["left"] * len(headers))
    if not _is_terminal(file):
        file.write(plain_table(headers, rows, aligns, title))
        for note in notes:
            file.write(note + "\n")
        return
    from rich import box
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for i, (header, align) in enumerate(zip(headers, aligns, strict=True)):
        widest = max([len(header), *(len(r[i]) for r in rows)])
        if align == "right":  # a figure: whole, on one line, whatever the terminal's width
            table.add_column(header, justify="right", no_wrap=True, min_width=widest)
        else:  # text may fold onto more lines
            table.add_column(header, justify="left", overflow="fold",
                             min_width=min(widest, TEXT_MIN_WIDTH))
    for row in rows:
        table.add_row(*row)
    console = Console(file=file)
    needed = Measurement.get(console, console.options.update_width(10_000), table).minimum
    if console.width < needed:
        # narrower than the figures need: print wider and let the terminal wrap the
        # lines rather than cut a figure
        console = Console(file=file, width=needed)
    console.print(table)
    for note in notes:
        console.print(note, markup=False, highlight=False)


def _is_terminal(file: TextIO) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False
