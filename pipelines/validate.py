"""Every rule of the contract, vectorized in DuckDB.

From batch_raw (pipelines.sources.files) and a SourcePlan this builds, in the
same connection:
- batch_valid: the typed rows that pass, in the contract's columns plus source;
- batch_quarantine: one row per rejected record with line, column, rule,
  reason and the offending value, masked (privacy.mask_sql).
The SQL is generated from contract.py, so the rules are written once.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines import contract, privacy
from pipelines.sources import SourcePlan


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
    condition: str  # SQL boolean over the batch_text view: true when violated
    reason: str  # plain words, no value in it (the value is kept, masked, beside it)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _t(name: str) -> str:
    return f'"{name}"'


def typed_expr(col: contract.Column) -> str:
    """SQL turning the trimmed text of col (NULL when empty) into its typed value, or NULL."""
    t = _t(col.name)
    if col.kind == "date":
        # try_cast is the fast path for ISO dates; strptime covers every accepted format.
        parts = ", ".join(f"cast(try_strptime({t}, {_lit(fmt)}) as date)"
                          for fmt in contract.DATE_FORMATS)
        return (f"(case when regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
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
        return (f"(case when regexp_full_match({t}, '[+-]?[0-9]+(\\.[0-9]+)?') "
                f"then try_cast({t} as {col.sql_type}) end)")
    if col.kind == "integer":
        # Values beyond INTEGER's range are rejected as "not a whole number" too.
        return f"(case when regexp_full_match({t}, '[+-]?[0-9]+') then try_cast({t} as integer) end)"
    return t


def rules() -> list[Rule]:
    out: list[Rule] = []
    for col in contract.COLUMNS:
        t, typed = _t(col.name), f"{_t('typed_' + col.name)}"
        if col.required:
            out.append(Rule(col.name, "required", f"{t} is null", "required value is missing"))
        if col.kind == "text" and col.pattern:
            out.append(Rule(col.name, "pattern", f"not regexp_full_match({t}, {_lit(col.pattern[1:-1])})",
                            "must be 1-64 of A-Z a-z 0-9 _ -"))
        if col.kind == "text" and not col.pattern:
            out.append(Rule(col.name, "too_long", f"length({t}) > 64", "longer than 64 characters"))
        parse_rule = {
            "date": ("date_format", "not a date (YYYY-MM-DD, YYYY/MM/DD or YYYY年MM月DD日)"),
            "enum": ("enumeration", "not one of: " + ", ".join(col.enum or ())),
            "boolean": ("boolean", "not a boolean (true/false, 1/0, yes/no, y/n, 是/否)"),
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
    out.append(Rule("decided_on", "decided_before_applied",
                    '"typed_decided_on" < "typed_applied_on"', "decided_on is before applied_on"))
    out.append(Rule("decided_on", "pending_with_decision",
                    "\"typed_outcome\" = 'pending' and \"typed_decided_on\" is not null",
                    "a pending case cannot have a decided_on"))
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


def validate(con: duckdb.DuckDBPyConnection, plan: SourcePlan, line_sql: str,
             headers: list[str]) -> Counts:
    """Build batch_valid and batch_quarantine from batch_raw; return the counts.

    One pass types every value and checks every per-row rule; duplicates and
    personal data, which need the whole batch or Python's exact checks, are
    found next from that pass's output.
    """
    drop_batch_relations(con)
    skip = f"coalesce({plan.skip}, false)" if plan.skip else "false"
    text_cols = ", ".join(
        f"nullif(trim(cast({expr} as varchar)), '') as {_t(name)}"
        for name, expr in plan.columns.items()
    )
    # Personal data is looked for in every column whose valid values could hold it:
    # free text, decimals, and columns the source does not map ("a value anywhere").
    # Enumerations, dates, booleans and integers that hold such a value fail their
    # type check, so the row is quarantined (and the value masked) anyway.
    mapped = {expr: name for name, expr in plan.columns.items()}
    scanned = [
        f"c{i}" for i in range(len(headers))
        if f"c{i}" not in mapped or contract.BY_NAME[mapped[f"c{i}"]].kind in ("text", "decimal")
    ]
    pii_suspect = " or ".join(
        f"coalesce(regexp_matches({col}, {_lit(privacy.PREFILTER_SQL)}), false)" for col in scanned
    ) or "false"
    con.execute(
        f"""create temp view batch_text as
        select batch_raw.rowid as row_id, {text_cols},
               {pii_suspect} as pii_suspect
        from batch_raw where not ({skip})"""
    )
    rule_list = rules()
    typed_cols = ", ".join(f"{typed_expr(c)} as {_t('typed_' + c.name)}" for c in contract.COLUMNS)
    final_cols = ", ".join(
        f"cast({_t('typed_' + c.name)} as {c.sql_type}) as {c.name}" for c in contract.COLUMNS
    )
    row_rules = " or ".join(
        f"coalesce({r.condition}, false)" for r in rule_list if r.rule not in BATCH_RULES
    )
    con.execute(
        f"""create temp table batch_typed as
        with typed as (select *, {typed_cols} from batch_text)
        select row_id, pii_suspect, ({row_rules}) as breaks_rule, {final_cols}
        from typed"""
    )
    con.execute(
        "create temp table batch_duplicate_ids as select case_id from batch_typed "
        "where case_id is not null group by case_id having count(*) > 1"
    )
    _find_personal_data(con, headers, set(plan.columns.values()))
    con.execute(
        """create temp table batch_bad_rows as
        select row_id from batch_typed where breaks_rule
        union select row_id from batch_typed
              where case_id in (select case_id from batch_duplicate_ids)
        union select row_id from batch_personal_data"""
    )
    con.execute(
        f"create temp view batch_valid as select {_lit(plan.source)} as source, "
        + ", ".join(c.name for c in contract.COLUMNS)
        + " from batch_typed anti join batch_bad_rows using (row_id)"
    )
    _build_quarantine(con, plan, rule_list, line_sql)

    total, skipped = con.execute(
        f"select count(*), count(*) filter (where {skip}) from batch_raw").fetchall()[0]
    bad = con.execute("select count(*) from batch_bad_rows").fetchall()[0][0]
    quarantined = con.execute("select count(*) from batch_quarantine").fetchall()[0][0]
    loaded = total - skipped - bad
    return Counts(loaded + quarantined + skipped, loaded, quarantined, skipped)


# Rules that need the whole batch; validate() checks them after the per-row pass.
BATCH_RULES = ("duplicate_case_id",)

BATCH_RELATIONS = ("batch_text", "batch_valid", "batch_typed", "batch_duplicate_ids",
                   "batch_personal_data", "batch_bad_rows", "batch_quarantine")


def drop_batch_relations(con: duckdb.DuckDBPyConnection) -> None:
    for name in BATCH_RELATIONS:
        kind = con.execute(
            "select table_type from information_schema.tables where table_name = ? "
            "and table_catalog = 'temp'", [name]).fetchall()
        if kind:
            con.execute(f"drop {'view' if kind[0][0] == 'VIEW' else 'table'} {name}")


def _find_personal_data(con: duckdb.DuckDBPyConnection, headers: list[str],
                        mapped: set[str]) -> None:
    """Exact checks (check digits, Luhn) on the few rows the SQL prefilter flags.

    The offending value is kept (masked) only for contract columns: a column the
    source does not map, such as a free-text narrative, is never stored at all.
    """
    import pyarrow as pa

    columns = ", ".join(f"c{i}" for i in range(len(headers)))
    suspects = con.execute(
        f"select t.row_id, {columns} from batch_typed t join batch_raw on batch_raw.rowid = t.row_id "
        "where t.pii_suspect"
    ).fetchall()
    found: dict[str, list] = {"row_id": [], "column_name": [], "kind": [], "value": []}
    for row_id, *values in suspects:  # only the rows the prefilter flagged
        for index, (header, value) in enumerate(zip(headers, values, strict=True)):
            kind = privacy.find_personal_data(value)
            if kind:
                kept = privacy.mask(value) if f"c{index}" in mapped else None
                for key, item in zip(found, (row_id, privacy.mask(header), kind, kept),
                                     strict=True):
                    found[key].append(item)
                break
    con.register("batch_found_personal_data", pa.table(found, schema=pa.schema([
        ("row_id", pa.int64()), ("column_name", pa.string()), ("kind", pa.string()),
        ("value", pa.string())])))
    con.execute("create temp table batch_personal_data as select * from batch_found_personal_data")
    con.unregister("batch_found_personal_data")


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
    row_json = "to_json(struct_pack(" + ", ".join(f"{c.name} := {_t(c.name)}" for c in contract.COLUMNS) + "))"
    kind_words = " ".join(f"when {_lit(k)} then {_lit(v)}" for k, v in PERSONAL_DATA_KINDS.items())
    con.execute(
        f"""create temp table batch_quarantine as
        with bad_text as (
            -- Text again only for the rejected rows: the valid ones never need it.
            select batch_raw.rowid as row_id, {line_sql} as line, {text_cols}
            from batch_raw semi join batch_bad_rows on batch_raw.rowid = batch_bad_rows.row_id
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
            select line, null, null, rule, 'the record has ' || replace(rule, '_', ' '), null, raw
            from batch_structural
        )
        select * from final order by line"""
    )
