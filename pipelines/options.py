"""Option values of the `relief` command: argparse `type=` validators and their help.

A value a command cannot accept (an unknown route, a negative number of days, a
period that is not a month or quarter) is refused while the command line is parsed,
so it exits 2 with argparse's one-line message (CLI.md), never 1 and never a
traceback. Each validator reuses the one definition of what is acceptable: the
contract for case values (through approval.profiles.parse_value), report.periods for periods,
stats for months and segments. Heavy modules are imported only when a value is checked.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from pipelines import contract

# The guide's case options (CLI.md), in its order: contract columns the model reads.
CASE_OPTIONS = (
    "route", "product", "channel", "outstanding_amount", "overdue_days", "prior_overdues_12m",
    "good_history_months", "broke_prior_agreement", "hardship_reason", "doc_income_proof",
    "doc_bank_statement", "doc_hardship_evidence", "requested_months",
)

# Units of the guide's numeric options, shown in --help.
UNITS = {
    "outstanding_amount": ("YUAN", "yuan"),
    "overdue_days": ("DAYS", "days"),
    "prior_overdues_12m": ("N", "episodes"),
    "good_history_months": ("MONTHS", "months"),
    "requested_months": ("MONTHS", "months"),
}


def _refusing(check: Callable[[str], object]) -> Callable[[str], object]:
    """check, with a ValueError turned into argparse's usage error (exit 2)."""
    def validate(text: str):
        try:
            return check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    validate.__name__ = getattr(check, "__name__", "value")
    return validate


def case_value(name: str) -> Callable[[str], object]:
    """A guide case option: the contract column `name`'s value, parsed as in a case file."""
    def parse(text: str):
        from pipelines.approval import profiles

        try:
            return profiles.parse_value(name, text)
        except profiles.ProfileError as exc:
            raise ValueError(str(exc)) from None
    parse.__name__ = name
    return _refusing(parse)


def case_help(name: str) -> str:
    """--help text of a guide case option: meaning, Chinese name, allowed values or unit."""
    column = contract.BY_NAME[name]
    text = f"{column.meaning} ({column.zh})"
    if column.enum:
        values = ", ".join(f"{v} ({contract.zh_label(column.enum, v)})"
                           if column.enum[v] else v for v in column.enum)
        return f"{text}; one of: {values}"
    if column.kind == "boolean":
        return f"{text}; true or false (是/否)"
    unit = UNITS.get(name, ("", ""))[1]
    bounds = f"at least {column.minimum}" if column.minimum is not None else ""
    if column.maximum is not None:
        bounds = f"{column.minimum} to {column.maximum}"
    whole = "a whole number" if column.kind == "integer" else "a number"
    return f"{text}; {whole} of {unit}, {bounds}".replace(" of , ", ", ")


def case_metavar(name: str) -> str | None:
    column = contract.BY_NAME[name]
    if column.enum:
        return name.upper()
    if column.kind == "boolean":
        return "true|false"
    return UNITS.get(name, ("N", ""))[0]


def _period(text: str):
    from pipelines.report.periods import parse_period

    parse_period(text)
    return text


def _month(text: str):
    from pipelines import stats

    stats.parse_month(text)
    return text


def _segment(text: str):
    from pipelines import stats

    stats.check_segment(text)
    return text


def _count(minimum: int) -> Callable[[str], int]:
    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value
    return count


def _synthetic_file(text: str) -> str:
    from pathlib import Path

    from pipelines import synth

    synth.file_kind(Path(text))  # the one list of the file kinds synth writes
    return text


def _port(text: str) -> int:
    """A port for the local Prefect server: an unprivileged one, 1024 to 65535."""
    value = _count(1)(text)
    if not 1024 <= value <= 65535:
        raise ValueError(f"a port from 1024 to 65535, got {value}")
    return value


period = _refusing(_period)
port = _refusing(_port)
synthetic_file = _refusing(_synthetic_file)
month = _refusing(_month)
segment = _refusing(_segment)
cases = _refusing(_count(1))
seed = _refusing(_count(0))
