"""Every rule of the contract, vectorized in DuckDB.

From the file's relation batch_source (pipelines.sources.files) and a SourcePlan
this builds, in the same connection:
- batch_typed: every record, typed, with whether it breaks a per-row rule and
  whether it may hold personal data; the record's text is kept only for those;
- batch_valid: the typed rows that pass, in the contract's columns plus source;
- batch_quarantine: one row per rejected record with line, column, rule,
  reason and the offending value, masked (privacy.mask_sql).
The file is read once: typing and checking happen in that one pass, and only
the rejected records are explained rule by rule afterwards. The SQL is generated
from contract.py, so the rules are written once (`rules`); the pass computes
whether any of them is broken with shortcuts for the common spellings that give
the same answer (tests/test_validate.py checks that they agree).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import duckdb

from pipelines import contract, privacy
from pipelines.sources import SourcePlan
from pipelines.sources.files import SOURCE_VIEW, RawFile, scan
from pipelines.sources.files import sql_literal as _lit


@dataclass(frozen=True)
class Counts:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int


@dataclass(frozen=True)
class Rule:
    column: str
    rule: str
    condition: str  # SQL boolean over the text and typed columns: true when violated
    reason: str  # plain words, no value in it (the value is kept, masked, beside it)


ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
DECIMAL_TEXT = r"[+-]?[0-9]+(\.[0-9]+)?"
INTEGER_TEXT = "[+-]?[0-9]+"
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                 "UINTEGER", "UBIGINT", "UHUGEINT")


def _t(name: str) -> str:
    return f'"{name}"'


def _trimmed(text: str) -> str:
    return f"nullif(trim({text}), '')"


def typed_expr(col: contract.Column, t: str | None = None) -> str:
    """SQL turning t, the trimmed text of col (NULL when empty; by default the column
    named after col), into its typed value, or NULL. This is the definition."""
    t = t or _t(col.name)
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
        t, typed = _t(col.name), f"{_t('typed_' + col.name)}"
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
    out.extend(cross_column_rules(lambda name: _t("typed_" + name)))
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

# Rules that need the whole batch; validate() checks them after the per-row pass.
BATCH_RULES = ("duplicate_case_id",)

BATCH_RELATIONS = ("batch_valid", "batch_typed", "batch_duplicate_ids", "batch_personal_data",
                   "batch_bad_rows", "batch_bad_text", "batch_rescan", "batch_quarantine")


# --- the one pass: typed values and whether any per-row rule is broken ----------------


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
    (computed once per record by pass_sql as plain_c<i>)."""
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
    slow = typed_expr(col, _trimmed(x))
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
    prefilter for it (tests/test_validate.py checks all three)."""
    return (f"coalesce(strlen({text}) between 1 and 64 "
            f"and regexp_full_match({text}, {_lit(PLAIN_ID)}), false)")


def plain_money(double: str) -> str:
    """SQL true when a DOUBLE is the nearest double to a number of at most 9 integer
    digits and 2 decimals. Its text (cast to varchar) is then that number written
    out, so it passes the decimal format, casts to the same DECIMAL(18,2) as the
    text does, and has no run of digits long enough to be personal data (those
    need 11 digits or more; tests/test_validate.py checks all three)."""
    return f"({double} = round({double}, 2) and abs({double}) < 1e9)"


def pass_violation(col: contract.Column, source: ColumnInput) -> str:
    """SQL true when the row breaks any rule of col alone (over the typed column and
    the text); the same answer as the OR of those rules' conditions."""
    typed = _t(col.name)
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
         else unless_skipped(pass_typed_expr(c, inputs[c.name]))) + f" as {_t(c.name)}"
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
        + [f"coalesce({r.condition}, false)" for r in cross_column_rules(_t)])
    raw_passed = ", ".join([f"c{i}" for i in read] + list(plan.derived) + list(plain.values()))
    flags = "".join(f", {plain_id(text[i])} as {name}" for i, name in plain.items())
    # The record's text (c0..cN in order; NULL for a column not read), only where it
    # may be needed to explain a rejection.
    record = ", ".join(text.get(i, "cast(null as varchar)") for i in range(width))
    derived = "".join(f", {expr} as {name}" for name, expr in plan.derived.items())
    return f"""create temp table batch_typed as
        with labelled as (select {', '.join(f'c{i}' for i in read)}{derived} from {source}),
        flagged as (select *{flags}, {skipped} as skipped from labelled),
        typed as (
            select {typed_cols}, skipped, {unless_skipped(pii_suspect, 'false')} as pii_suspect,
                   {raw_passed}
            from flagged
        ),
        checked as (select *, {unless_skipped(f'({violations})', 'false')} as breaks_rule
                    from typed)
        select {', '.join(_t(c.name) for c in contract.COLUMNS)}, skipped, breaks_rule,
               pii_suspect,
               case when breaks_rule or pii_suspect then [{record}] end as raw_text
        from checked"""


# --- validation ------------------------------------------------------------------------


def validate(con: duckdb.DuckDBPyConnection, plan: SourcePlan, raw: RawFile) -> Counts:
    """Build batch_typed, batch_valid and batch_quarantine from batch_source; return counts.

    One pass types every value and checks every per-row rule; duplicates and
    personal data, which need the whole batch or Python's exact checks, are
    found next from that pass's output.
    """
    drop_batch_relations(con)
    raw = scan(con, raw, pass_sql(plan, raw), creates="batch_typed")
    con.execute(
        "create temp table batch_duplicate_ids as select case_id from batch_typed "
        "where case_id is not null and not skipped group by case_id having count(*) > 1"
    )
    _find_personal_data(con, raw.headers, set(plan.columns.values()))
    con.execute(
        """create temp table batch_bad_rows as
        select rowid as row_id, raw_text from batch_typed
        where breaks_rule
           or (not skipped and case_id in (select case_id from batch_duplicate_ids))
           or (pii_suspect and rowid in (select row_id from batch_personal_data))"""
    )
    con.execute(
        f"create temp view batch_valid as select {_lit(plan.source)} as source, "
        + ", ".join(f"cast({c.name} as {c.sql_type}) as {c.name}" for c in contract.COLUMNS)
        + " from batch_typed where not skipped and not breaks_rule"
        " and rowid not in (select row_id from batch_bad_rows)"
    )
    _bad_rows_text(con, len(raw.headers), read_columns(plan, len(raw.headers)))
    _build_quarantine(con, plan, rules(), raw.line_sql)

    total, skipped, bad, quarantined = con.execute(
        "select count(*), count(*) filter (where skipped), "
        "(select count(*) from batch_bad_rows), (select count(*) from batch_quarantine) "
        "from batch_typed").fetchall()[0]
    loaded = total - skipped - bad
    return Counts(loaded + quarantined + skipped, loaded, quarantined, skipped)


def drop_batch_relations(con: duckdb.DuckDBPyConnection) -> None:
    present = con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_catalog = 'temp' and list_contains(?, table_name)",
        [list(BATCH_RELATIONS)]).fetchall()
    # In BATCH_RELATIONS's order: batch_valid, a view, before the tables it reads.
    for name, kind in sorted(present, key=lambda found: BATCH_RELATIONS.index(found[0])):
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {name}")


def _bad_rows_text(con: duckdb.DuckDBPyConnection, width: int, read: list[int]) -> None:
    """batch_bad_text: row_id and the text c0..cN of every rejected record (NULL for
    the columns the pass does not read).

    The pass kept the text of the records that broke a rule or may hold personal
    data; a record rejected only as a duplicate is read again from the file, which
    happens only when a file holds such duplicates.
    """
    columns = ", ".join(f"raw_text[{i + 1}] as c{i}" for i in range(width))
    con.execute(
        f"create temp table batch_bad_text as select row_id, {columns} from batch_bad_rows "
        "where raw_text is not null"
    )
    missing = con.execute(
        "select count(*) from batch_bad_rows where raw_text is null").fetchall()[0][0]
    if not missing:
        return
    text = ", ".join(f"cast({f'c{i}' if i in read else 'null'} as varchar) as c{i}"
                     for i in range(width))
    # Read in file order, like the pass, so rowid is the same record's position.
    con.execute(f"create temp table batch_rescan as select {text} from {SOURCE_VIEW}")
    con.execute(
        f"insert into batch_bad_text select r.rowid, {', '.join(f'r.c{i}' for i in range(width))} "
        "from batch_rescan r join batch_bad_rows b on r.rowid = b.row_id "
        "where b.raw_text is null"
    )
    con.execute("drop table batch_rescan")


def _find_personal_data(con: duckdb.DuckDBPyConnection, headers: list[str],
                        mapped: set[str]) -> None:
    """Exact checks (check digits, Luhn) on the few rows the SQL prefilter flags.

    The offending value is kept (masked) only for contract columns: a column the
    source does not map, such as a free-text narrative, is never stored at all.
    """
    suspects = con.execute("select rowid, raw_text from batch_typed where pii_suspect").fetchall()
    found: dict[str, list] = {"row_id": [], "column_name": [], "kind": [], "value": []}
    for row_id, values in suspects:  # only the rows the prefilter flagged
        for index, (header, value) in enumerate(zip(headers, values, strict=True)):
            kind = privacy.find_personal_data(value)
            if kind:
                kept = privacy.mask(value) if f"c{index}" in mapped else None
                for key, item in zip(found, (row_id, privacy.mask(header), kind, kept),
                                     strict=True):
                    found[key].append(item)
                break
    con.execute(
        "create temp table batch_personal_data as select unnest(?::bigint[]) as row_id, "
        "unnest(?::varchar[]) as column_name, unnest(?::varchar[]) as kind, "
        "unnest(?::varchar[]) as value",
        [found["row_id"], found["column_name"], found["kind"], found["value"]],
    )


def _build_quarantine(con: duckdb.DuckDBPyConnection, plan: SourcePlan, rule_list: list[Rule],
                      line_sql: str) -> None:
    violations = ", ".join(
        f"case when coalesce({r.condition}, false) then struct_pack(column_name := {_lit(r.column)}, "
        f"rule := {_lit(r.rule)}, reason := {_lit(r.column + ': ' + r.reason)}, "
        f"value := {_t(r.column)}) end"
        for r in rule_list
    )
    text_cols = ", ".join(
        f"nullif(trim(cast({expr} as varchar)), '') as {_t(name)}"
        for name, expr in plan.columns.items()
    )
    typed_cols = ", ".join(f"{typed_expr(c)} as {_t('typed_' + c.name)}" for c in contract.COLUMNS)
    # A record the CSV reader cannot split keeps its (masked) text only when the source
    # reads every column: otherwise it may hold text of a column never read.
    structural_raw = "raw" if plan.reads is None else "null"
    row_json = "to_json(struct_pack(" + ", ".join(f"{c.name} := {_t(c.name)}" for c in contract.COLUMNS) + "))"
    kind_words = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in PERSONAL_DATA_KINDS.items())
    con.execute(
        f"""create temp table batch_quarantine as
        with bad_text as (
            select row_id, {line_sql} as line, {text_cols}
            from (select *{"".join(f", {e} as {n}" for n, e in plan.derived.items())}
                  from batch_bad_text)
        ),
        bad as (select *, {typed_cols} from bad_text),
        listed as (
            select row_id, line, case_id, cast({row_json} as varchar) as row_content,
                   list_filter([{violations}], lambda v: v is not null) as found
            from bad
        ),
        with_pii as (
            select l.*, p.kind, p.column_name as pii_column, p.value as pii_value
            from listed l left join batch_personal_data p using (row_id)
        ),
        final as (
            select line,
                   {privacy.mask_sql('case_id')} as case_id,
                   coalesce(pii_column, found[1].column_name) as column_name,
                   case when kind is not null then 'personal_data' else found[1].rule end as rule,
                   case when kind is not null
                        then pii_column || ': holds ' || (case kind {kind_words} end) || ' (masked)'
                        else array_to_string(list_transform(found, lambda v: v.reason), '; ') end as reason,
                   case when kind is not null then pii_value
                        else {privacy.mask_sql('found[1].value')} end as value,
                   {privacy.mask_sql('row_content')} as row_content
            from with_pii
            union all
            select line, null, null, rule, 'the record has ' || replace(rule, '_', ' '), null,
                   {structural_raw}
            from batch_structural
        )
        select * from final order by line"""
    )
