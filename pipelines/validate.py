"""Validating one batch in DuckDB: which records load, which are quarantined and why.

From the file's relation batch_source (pipelines.sources.files) and a SourcePlan
this builds, in the same connection:
- batch_typed: the one pass (pipelines.one_pass) over every record;
- batch_valid: the typed rows that pass, in the contract's columns plus source;
- batch_quarantine: one row per rejected record with line, column, rule,
  reason and the offending value, masked (privacy.mask_sql).
The file is read once: typing and checking happen in that one pass, and only
the rejected records are explained rule by rule afterwards (pipelines.rules).

A file whose records are all clean need not be staged at all: `clean_view`
defines batch_valid straight over the file, and the load reads it once
(pipelines.ingest); a record that is not clean stops that statement, and the
batch is validated as above instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines import contract, privacy
from pipelines.config import SQL_DIR
from pipelines.one_pass import pass_query, pass_sql, read_columns
from pipelines.rules import PERSONAL_DATA_KINDS, Rule, quoted, rules, typed_expr
from pipelines.sources import SourcePlan
from pipelines.sources.files import SOURCE_VIEW, RawFile, scan
from pipelines.sources.files import sql_literal as _lit


@dataclass(frozen=True)
class Counts:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    rows_skipped: int


BATCH_RELATIONS = ("batch_valid", "batch_typed", "batch_duplicate_ids", "batch_personal_data",
                   "batch_bad_rows", "batch_bad_text", "batch_rescan", "batch_quarantine")


def validate(con: duckdb.DuckDBPyConnection, plan: SourcePlan, raw: RawFile) -> Counts:
    """Build batch_typed, batch_valid and batch_quarantine from batch_source; return counts.

    One pass types every value and checks every per-row rule; duplicates and
    personal data, which need the whole batch or Python's exact checks, are
    found next from that pass's output.
    """
    drop_batch_relations(con)
    raw = scan(con, raw, pass_sql(plan, raw), creates="batch_typed")
    con.execute(_validate_sql("duplicate_ids"))
    _find_personal_data(con, raw.headers, set(plan.columns.values()))
    con.execute(_validate_sql("bad_rows"))
    con.execute(
        f"create temp view batch_valid as select {_valid_columns(plan)} from batch_typed "
        "where not skipped and not breaks_rule and rowid not in (select row_id from batch_bad_rows)"
    )
    _bad_rows_text(con, len(raw.headers), read_columns(plan, len(raw.headers)))
    _build_quarantine(con, plan, rules(), raw.line_sql)

    total, skipped, bad, quarantined = con.execute(_validate_sql("counts")).fetchall()[0]
    loaded = total - skipped - bad
    return Counts(loaded + quarantined + skipped, loaded, quarantined, skipped)


def _validate_sql(step: str) -> str:
    """A fixed statement of validation (sql/validate/); the statements built here in
    Python are generated from the contract and the plan (its columns and rules)."""
    return (SQL_DIR / "validate" / f"{step}.sql").read_text("utf-8")


# What a clean view's statement fails with when a record is not clean.
NOT_CLEAN = "relief: a record needs validating"


def clean_view(con: duckdb.DuckDBPyConnection, plan: SourcePlan, raw: RawFile) -> None:
    """batch_valid straight over batch_source, for a file expected to be clean: the one
    pass with every record in the contract's columns, nothing staged.

    A statement reading it fails with NOT_CLEAN at the first record that breaks a
    per-row rule or that the personal-data prefilter flags (only Python's exact
    checks could clear it); the caller checks what the pass cannot see (duplicate
    case_ids, records the CSV reader rejected) and otherwise validates the batch
    with `validate`, which explains every rejection. Only for plans that skip no
    records (every record read is a case).
    """
    if plan.skip is not None:
        raise ValueError("clean_view is for sources whose every record is a case")
    drop_batch_relations(con)
    con.execute(
        f"create temp view batch_valid as select {_valid_columns(plan)} "
        f"from ({pass_query(plan, raw)}) "
        f"where case when breaks_rule or pii_suspect then error({_lit(NOT_CLEAN)}) else true end"
    )


def _valid_columns(plan: SourcePlan) -> str:
    """batch_valid's columns: source, then the contract's in their warehouse types."""
    return f"{_lit(plan.source)} as source, " + ", ".join(
        f"cast({c.name} as {c.sql_type}) as {c.name}" for c in contract.COLUMNS)


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
    # Generated, not a sql/ file: its columns and checks come from the contract and
    # from each rule of validate.rules().
    violations = ", ".join(
        f"case when coalesce({r.condition}, false) then struct_pack(column_name := {_lit(r.column)}, "
        f"rule := {_lit(r.rule)}, reason := {_lit(r.column + ': ' + r.reason)}, "
        f"value := {quoted(r.column)}) end"
        for r in rule_list
    )
    text_cols = ", ".join(
        f"nullif(trim(cast({expr} as varchar)), '') as {quoted(name)}"
        for name, expr in plan.columns.items()
    )
    typed_cols = ", ".join(f"{typed_expr(c)} as {quoted('typed_' + c.name)}" for c in contract.COLUMNS)
    # A record the CSV reader cannot split keeps its (masked) text only when the source
    # reads every column: otherwise it may hold text of a column never read.
    structural_raw = "raw" if plan.reads is None else "null"
    row_json = "to_json(struct_pack(" + ", ".join(f"{c.name} := {quoted(c.name)}" for c in contract.COLUMNS) + "))"
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
