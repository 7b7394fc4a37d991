"""Every rule of the contract, written once, as SQL generated from contract.py.

`typed_expr` is the definition of each column's typed value (from its trimmed
text), `rules` the definition of every rule (a SQL condition over the text and
the typed value, and its reason in plain words). The one pass
(pipelines/one_pass.py) takes shortcuts that must give the same answers
(tests/test_one_pass.py); validation (pipelines/validate.py) explains each
rejected record through these definitions themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines import contract
from pipelines.sources.files import sql_literal as _lit


@dataclass(frozen=True)
class Rule:
    column: str
    rule: str
    condition: str  # SQL boolean over the text and typed columns: true when violated
    reason: str  # plain words, no value in it (the value is kept, masked, beside it)


ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
DECIMAL_TEXT = r"[+-]?[0-9]+(\.[0-9]+)?"
INTEGER_TEXT = "[+-]?[0-9]+"


def quoted(name: str) -> str:
    return f'"{name}"'


def trimmed(text: str) -> str:
    return f"nullif(trim({text}), '')"


def typed_expr(col: contract.Column, t: str | None = None) -> str:
    """SQL turning t, the trimmed text of col (NULL when empty; by default the column
    named after col), into its typed value, or NULL. This is the definition."""
    t = t or quoted(col.name)
    if col.kind == "date":
        # try_cast is the fast path for ISO dates; strptime covers every accepted format.
        parts = ", ".join(f"cast(try_strptime({t}, {_lit(fmt)}) as date)"
                          for fmt in contract.DATE_FORMATS)
        return (f"(case when regexp_full_match({t}, {_lit(ISO_DATE)}) "
                f"then try_cast({t} as date) else coalesce({parts}) end)")
    if col.kind == "enum":
        cases = " ".join(
            f"when {_lit(spelling)} then {_lit(value)}"
            for spelling, value in contract.enum_spellings(col.enum).items()
        )
        return f"(case lower({t}) {cases} end)"
    if col.kind == "boolean":
        true = ", ".join(_lit(s) for s in contract.TRUE_SPELLINGS)
        false = ", ".join(_lit(s) for s in contract.FALSE_SPELLINGS)
        return f"(case when lower({t}) in ({true}) then true when lower({t}) in ({false}) then false end)"
    if col.kind == "decimal":
        return (f"(case when regexp_full_match({t}, {_lit(DECIMAL_TEXT)}) "
                f"then try_cast({t} as {col.sql_type}) end)")
    if col.kind == "integer":
        # Values beyond INTEGER's range are rejected as "not a whole number" too.
        return (f"(case when regexp_full_match({t}, {_lit(INTEGER_TEXT)}) "
                f"then try_cast({t} as integer) end)")
    return t


TEXT_MAX_LENGTH = 64  # free text (region); case_id's own limit is in its pattern


def text_rule(col: contract.Column, t: str) -> tuple[str, str, str]:
    """(rule, SQL true when the text t of a text column breaks it, reason)."""
    if col.pattern:
        return ("pattern", f"not regexp_full_match({t}, {_lit(col.pattern[1:-1])})",
                "must be 1-64 of A-Z a-z 0-9 _ -")
    return ("too_long", f"length({t}) > {TEXT_MAX_LENGTH}",
            f"longer than {TEXT_MAX_LENGTH} characters")


def _date_formats_in_words() -> str:
    shapes = [f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
              for f in contract.DATE_FORMATS]
    return ", ".join(shapes[:-1]) + " or " + shapes[-1]


def _boolean_spellings_in_words() -> str:
    return ", ".join(f"{t}/{f}" for t, f in zip(contract.TRUE_SPELLINGS,
                                                contract.FALSE_SPELLINGS, strict=True))


def cross_column_rules(typed: Callable[[str], str]) -> list[Rule]:
    """The rules over two columns; typed(name) is the SQL of a column's typed value
    (typed_<name> where rules() explains a rejection, <name> in the one pass)."""
    decided, applied, outcome = typed("decided_on"), typed("applied_on"), typed("outcome")
    return [
        Rule("decided_on", "decided_before_applied", f"{decided} < {applied}",
             "decided_on is before applied_on"),
        Rule("decided_on", "pending_with_decision",
             f"{outcome} = 'pending' and {decided} is not null",
             "a pending case cannot have a decided_on"),
    ]


def rules() -> list[Rule]:
    out: list[Rule] = []
    for col in contract.COLUMNS:
        t, typed = quoted(col.name), f"{quoted('typed_' + col.name)}"
        if col.required:
            out.append(Rule(col.name, "required", f"{t} is null", "required value is missing"))
        if col.kind == "text":
            rule, condition, reason = text_rule(col, t)
            out.append(Rule(col.name, rule, condition, reason))
        parse_rule = {
            "date": ("date_format", f"not a date ({_date_formats_in_words()})"),
            "enum": ("enumeration", "not one of: " + ", ".join(col.enum or ())),
            "boolean": ("boolean", f"not a boolean ({_boolean_spellings_in_words()})"),
            "decimal": ("number_format", "not a decimal number"),
            "integer": ("integer_format", "not a whole number (within ±2,147,483,647)"),
        }.get(col.kind)
        if parse_rule:
            out.append(Rule(col.name, parse_rule[0], f"{t} is not null and {typed} is null",
                            parse_rule[1]))
        if col.minimum is not None:
            out.append(Rule(col.name, "minimum", f"{typed} < {col.minimum}",
                            f"must be at least {col.minimum}"))
        if col.maximum is not None:
            out.append(Rule(col.name, "maximum", f"{typed} > {col.maximum}",
                            f"must be at most {col.maximum}"))
    out.extend(cross_column_rules(lambda name: quoted("typed_" + name)))
    out.append(Rule("case_id", "duplicate_case_id",
                    "\"case_id\" in (select case_id from batch_duplicate_ids)",
                    "case_id occurs more than once in this file"))
    return out


PERSONAL_DATA_KINDS = {
    "email": "an e-mail address",
    "mobile": "a mainland mobile number",
    "resident_id": "a resident ID number",
    "bank_card": "a bank card number",
}

# Rules that need the whole batch; validation checks them after the per-row pass.
BATCH_RULES = ("duplicate_case_id",)
