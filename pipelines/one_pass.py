"""The one pass over a file: every value typed and every per-row rule checked.

`pass_query` reads batch_source (pipelines.sources.files) once and gives, per
record, its typed values, whether it is skipped (not a relief request), whether
it breaks a per-row rule, whether it may hold personal data, and its text only
where a rejection may need explaining. It takes shortcuts for the common
spellings that give the values and verdicts of the definitions in
pipelines/rules.py (tests/test_one_pass.py checks that they agree).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pipelines import contract, privacy
from pipelines.rules import (
    DECIMAL_TEXT,
    INTEGER_TEXT,
    ISO_DATE,
    cross_column_rules,
    quoted,
    text_rule,
    trimmed,
    typed_expr,
)
from pipelines.sources import SourcePlan
from pipelines.sources.files import SOURCE_VIEW, RawFile
from pipelines.sources.files import sql_literal as _lit

INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT")


@dataclass(frozen=True)
class ColumnInput:
    """Where the pass finds one contract column's value."""
    text: str  # SQL text of the value, untrimmed (NULL when absent)
    native: str | None = None  # SQL of the file's own typed value, when it can be used as is
    # SQL true when the text is a plain case_id (plain_id): its own value, no rule broken
    plain: str | None = None


def column_inputs(plan: SourcePlan, raw: RawFile) -> dict[str, ColumnInput]:
    """A column the file already holds in the contract's type is used as is (Parquet);
    everything else is text. A mapped case_id column carries its plain_id flag
    (computed once per record by pass_query as plain_c<i>)."""
    inputs = {}
    for col in contract.COLUMNS:
        expr = plan.columns[col.name]
        if expr == "null":
            inputs[col.name] = ColumnInput("cast(null as varchar)")
            continue
        index = _raw_index(expr, len(raw.types))
        kind = raw.types[index] if index is not None else "VARCHAR"
        if col.pattern and index is not None:
            inputs[col.name] = ColumnInput(expr if kind == "VARCHAR" else f"cast({expr} as varchar)",
                                           plain=f"plain_c{index}")
        elif kind == "VARCHAR":
            inputs[col.name] = ColumnInput(expr if index is not None else f"cast({expr} as varchar)")
        elif (col.kind, kind) in (("date", "DATE"), ("boolean", "BOOLEAN"), ("decimal", "DOUBLE")) or (
                col.kind == "integer" and kind in INTEGER_TYPES):
            inputs[col.name] = ColumnInput(f"cast({expr} as varchar)", native=expr)
        else:
            inputs[col.name] = ColumnInput(f"cast({expr} as varchar)")
    return inputs


def _raw_index(expr: str, width: int) -> int | None:
    if expr.startswith("c") and expr[1:].isdigit() and int(expr[1:]) < width:
        return int(expr[1:])
    return None


def pass_typed_expr(col: contract.Column, source: ColumnInput) -> str:
    """col's typed value (its warehouse type; enumerations as an ENUM until loaded),
    equal to typed_expr of its trimmed text.

    Values already spelled the canonical way (and native values) skip the trimming,
    lowering and format guessing; the others go through typed_expr itself. Empty
    values are NULL at once (CASE, unlike AND/OR/coalesce, evaluates a branch only
    for the rows that reach it).
    """
    x = source.text
    slow = typed_expr(col, trimmed(x))
    target = col.sql_type
    if source.plain is not None:
        return f"(case when {source.plain} then {x} else cast({slow} as {target}) end)"
    if source.native is not None:
        n = source.native
        if col.kind == "date":
            # cast(date as varchar) is ISO for years 1-9999; other dates take the text path.
            shortcut = f"when year({n}) between 1 and 9999 then {n}"
        elif col.kind == "integer":
            shortcut = f"when true then try_cast({n} as integer)"
        elif col.kind == "decimal":
            shortcut = f"when {plain_money(n)} then cast({n} as {col.sql_type})"
        else:
            shortcut = f"when true then {n}"
        return f"cast((case when {n} is null then null {shortcut} else {slow} end) as {target})"
    if col.kind == "enum":
        # A canonical value maps to itself (measured cheaper than try_cast to the
        # ENUM), and a one-byte code is cheaper to hold than the text.
        whens = " ".join(f"when {_lit(v)} then {_lit(v)}::{target}" for v in col.enum or ()
                         if v == v.strip().lower())
        return (f"(case when {x} is null then null else "
                f"(case {x} {whens} else cast({slow} as {target}) end) end)")
    elif col.kind == "boolean":
        spellings = {**{s: "true" for s in contract.TRUE_SPELLINGS},
                     **{s: "false" for s in contract.FALSE_SPELLINGS}}
        shortcut = " ".join(f"when {x} = {_lit(s)} then {v}" for s, v in spellings.items()
                            if s == s.strip().lower())
    elif col.kind in ("date", "decimal", "integer"):
        shape = {"date": ISO_DATE, "decimal": DECIMAL_TEXT, "integer": INTEGER_TEXT}[col.kind]
        cast_to = {"date": "date", "decimal": col.sql_type, "integer": "integer"}[col.kind]
        # Text in the canonical shape has nothing to trim, and its value is the cast.
        shortcut = (f"when regexp_full_match({x}, {_lit(shape)}) "
                    f"then try_cast({x} as {cast_to})")
    else:
        return f"cast({slow} as {target})"
    return f"cast((case when {x} is null then null {shortcut} else {slow} end) as {target})"


# A case_id of the contract's characters with at most ten digits in all.
PLAIN_ID = "[A-Za-z_-]*(?:[0-9][A-Za-z_-]*){0,10}"


def plain_id(text: str) -> str:
    """SQL true (never NULL) when text is 1-64 characters of the case_id pattern with at
    most ten digits. Such a text is its own trimmed value, breaks no rule of case_id
    and cannot hold personal data (an e-mail needs '@', every other kind eleven
    digits or more), so the pass skips trimming, the pattern and the personal-data
    prefilter for it (tests/test_one_pass.py checks all three)."""
    return (f"coalesce(strlen({text}) between 1 and 64 "
            f"and regexp_full_match({text}, {_lit(PLAIN_ID)}), false)")


def plain_money(double: str) -> str:
    """SQL true when a DOUBLE is the nearest double to a number of at most 9 integer
    digits and 2 decimals. Its text (cast to varchar) is then that number written
    out, so it passes the decimal format, casts to the same DECIMAL(18,2) as the
    text does, and has no run of digits long enough to be personal data (those
    need 11 digits or more; tests/test_one_pass.py checks all three)."""
    return f"({double} = round({double}, 2) and abs({double}) < 1e9)"


def pass_violation(col: contract.Column, source: ColumnInput) -> str:
    """SQL true when the row breaks any rule of col alone (over the typed column and
    the text); the same answer as the OR of those rules' conditions."""
    typed = quoted(col.name)
    if col.kind == "text":
        broken = f"coalesce({text_rule(col, typed)[1]}, {'true' if col.required else 'false'})"
        return f"(case when {source.plain} then false else {broken} end)" if source.plain else broken
    limits = []
    if col.minimum is not None:
        limits.append(f"{typed} < {col.minimum}")
    if col.maximum is not None:
        limits.append(f"{typed} > {col.maximum}")
    # Unparseable or missing: the typed value is NULL although the text is not blank.
    present = "true" if col.required else f"coalesce(trim({source.text}) <> '', false)"
    within = " or ".join(limits) or "false"
    return f"(case when {typed} is not null then {within} else {present} end)"


def read_columns(plan: SourcePlan, width: int) -> list[int]:
    """The batch_source columns the pass reads, in file order: every one unless the
    plan names the ones it reads (the others never leave the file reader)."""
    return [i for i in range(width) if plan.reads is None or f"c{i}" in plan.reads]


def pass_sql(plan: SourcePlan, raw: RawFile) -> str:
    """The statement that reads batch_source once into batch_typed."""
    return f"create temp table batch_typed as {pass_query(plan, raw)}"


def pass_query(plan: SourcePlan, raw: RawFile) -> str:
    """The query reading batch_source once: per record (in file order) the contract's
    columns typed, skipped, breaks_rule, pii_suspect and raw_text (the record's text,
    only for a record that breaks a rule or may hold personal data)."""
    width = len(raw.types)
    read = read_columns(plan, width)
    source = SOURCE_VIEW
    if any(raw.types[i] != "VARCHAR" for i in read) and any(
            e != "null" and _raw_index(e, width) is None for e in plan.columns.values()):
        # A source that maps by SQL over text, on a typed file: give it text.
        source = f"(select {', '.join(f'cast(c{i} as varchar) as c{i}' for i in read)} " \
                 f"from {SOURCE_VIEW})"
        raw = replace(raw, types=("VARCHAR",) * width)
    inputs = column_inputs(plan, raw)
    text = {i: f"c{i}" if raw.types[i] == "VARCHAR" else f"cast(c{i} as varchar)" for i in read}
    # Records that are not relief requests (plan.skip) are only counted: every value
    # of theirs is NULL at once, and no rule or personal-data check runs on them
    # (CASE evaluates its branch only for the rows that reach it).
    def unless_skipped(expr: str, otherwise: str = "null") -> str:
        return f"(case when skipped then {otherwise} else {expr} end)" if plan.skip else expr

    typed_cols = ", ".join(
        (f"{pass_typed_expr(c, inputs[c.name])}" if plan.columns[c.name] == "null"
         else unless_skipped(pass_typed_expr(c, inputs[c.name]))) + f" as {quoted(c.name)}"
        for c in contract.COLUMNS)
    skipped = f"coalesce({plan.skip}, false)" if plan.skip else "false"
    # Personal data is looked for in every column read whose valid values could hold
    # it: free text, decimals, and columns the source does not map as they are ("a
    # value anywhere"; a column never read is never stored). Enumerations, dates,
    # booleans and integers that hold such a value fail their type check, so the
    # row is quarantined (and the value masked) anyway.
    mapped = {expr: name for name, expr in plan.columns.items()}
    scanned = [
        i for i in read
        if f"c{i}" not in mapped or contract.BY_NAME[mapped[f"c{i}"]].kind in ("text", "decimal")
    ]
    plain = {_raw_index(plan.columns[c.name], width): inputs[c.name].plain
             for c in contract.COLUMNS if inputs[c.name].plain}
    shortcut = {i: f"plain_c{i}" for i in plain} | {
        i: plain_money(f"c{i}") for i in scanned if raw.types[i] == "DOUBLE"}
    pii_suspect = " or ".join(
        f"(case when {shortcut[i]} then false else {privacy.prefilter_sql(text[i])} end)"
        if i in shortcut else privacy.prefilter_sql(text[i])
        for i in scanned) or "false"
    violations = " or ".join(
        [pass_violation(c, inputs[c.name]) for c in contract.COLUMNS]
        + [f"coalesce({r.condition}, false)" for r in cross_column_rules(quoted)])
    raw_passed = ", ".join([f"c{i}" for i in read] + list(plan.derived) + list(plain.values()))
    flags = "".join(f", {plain_id(text[i])} as {name}" for i, name in plain.items())
    # The record's text (c0..cN in order; NULL for a column not read), only where it
    # may be needed to explain a rejection.
    record = ", ".join(text.get(i, "cast(null as varchar)") for i in range(width))
    derived = "".join(f", {expr} as {name}" for name, expr in plan.derived.items())
    return f"""
        with labelled as (select {', '.join(f'c{i}' for i in read)}{derived} from {source}),
        flagged as (select *{flags}, {skipped} as skipped from labelled),
        typed as (
            select {typed_cols}, skipped, {unless_skipped(pii_suspect, 'false')} as pii_suspect,
                   {raw_passed}
            from flagged
        ),
        checked as (select *, {unless_skipped(f'({violations})', 'false')} as breaks_rule
                    from typed),
        final as (
            select {', '.join(quoted(c.name) for c in contract.COLUMNS)}, skipped, breaks_rule,
                   pii_suspect,
                   case when breaks_rule or pii_suspect then [{record}] end as raw_text
            from checked
        )
        select * from final"""
