"""CFPB consumer-complaint records (US Consumer Complaint Database).

Reads the CSV export's column names and the API's snake_case names, in any
format pipelines.sources.files reads. The mapping itself is data in
pipelines.sources.cfpb_mapping; this module only turns it into the SQL of a
SourcePlan. Free text (narratives, public responses), ZIP codes and company
names are never mapped, so never stored. docs/sources/cfpb.md explains it all.
"""

from __future__ import annotations

from pipelines import contract
from pipelines.sources import SourcePlan, refuse_identifier_columns
from pipelines.sources import cfpb_mapping as mapping
from pipelines.sources.files import Refused, sql_literal

SOURCE = mapping.SOURCE


def _key(header: str) -> str:
    return contract.normalize_header(header).rstrip("?")


def _label(text: str) -> str:
    """How a CFPB label is compared: trimmed, lowercase, one kind of apostrophe."""
    return text.strip().lower().replace("\u2019", "'")


def field_columns(headers: list[str]) -> dict[str, str]:
    """CFPB field -> batch_source column (c0, c1, ...) for the fields the file has."""
    wanted = {_key(alias): field for field, aliases in mapping.FIELD_HEADERS.items()
              for alias in aliases}
    found: dict[str, str] = {}
    for i, header in enumerate(headers):
        field = wanted.get(_key(header))
        if field is None:
            continue  # narratives, company, ZIP code...: never read
        if field in found:
            raise Refused(f"has CFPB field {field!r} twice")
        found[field] = f"c{i}"
    return found


def matches(headers: list[str]) -> bool:
    try:
        found = field_columns(headers)
    except Refused:
        return True  # a CFPB file, refused by plan() with the reason
    return all(field in found for field in mapping.REQUIRED_FIELDS)


# --- SQL over batch_source's text columns -----------------------------------------


def compared_text_sql(column: str) -> str:
    """The column's text as compared with the mapping: trimmed, lowercase, one kind of
    apostrophe. Plain ASCII without a space at either end only needs lowering (trim
    is the costly step, and it and the apostrophe replacement change nothing there)."""
    plain = (f"strlen({column}) = length({column}) and not prefix({column}, ' ') "
             f"and not suffix({column}, ' ')")
    return (f"(case when {plain} then lower({column}) "
            f"else lower(trim(replace({column}, chr(8217), ''''))) end)")


def label_sql(column: str) -> str:
    """The column's label as compared with the mapping; NULL for the missing spellings."""
    missing = ", ".join(sql_literal(v) for v in mapping.MISSING_VALUES)
    label = compared_text_sql(column)
    return f"(case when {label} in ({missing}) then null else {label} end)"


def lookup_sql(label: str, table: dict[str, str | None]) -> str:
    """CASE mapping a label expression through a mapping table; NULL when not listed."""
    whens = " ".join(
        f"when {sql_literal(_label(key))} then {'null' if value is None else sql_literal(value)}"
        for key, value in table.items()
    )
    return f"(case {label} {whens} end)"


def date_sql(column: str) -> str:
    """YYYY-MM-DD text from any of the mapping's date formats; the raw text when none
    fits (validation then quarantines it as not a date)."""
    iso_day = f"left(trim({column}), 10)"  # API timestamps: their date
    parsed = ", ".join(
        f"strftime(try_strptime({iso_day if fmt == '%Y-%m-%d' else f'trim({column})'}, "
        f"{sql_literal(fmt)}), '%Y-%m-%d')"
        for fmt in mapping.DATE_FORMATS
    )
    return f"coalesce({parsed}, {column})"


def product_sql(product_label: str, sub_product_label: str | None) -> str:
    """The contract product from the labels (label_sql) of product and sub-product."""
    by_product = lookup_sql(product_label, mapping.PRODUCTS)
    if sub_product_label is None:
        return by_product
    not_credit = ", ".join(sql_literal(_label(k)) for k, v in mapping.SUB_PRODUCTS.items() if v is None)
    credit = {k: v for k, v in mapping.SUB_PRODUCTS.items() if v is not None}
    return (f"(case when {sub_product_label} in ({not_credit}) then null "
            f"else coalesce({lookup_sql(sub_product_label, credit)}, {by_product}) end)")


# Fields looked up in the mapping tables: their compared text is worked out once per
# record (SourcePlan.derived) as label_<field>, not once per table entry. A missing
# spelling ('', 'none', ...) is in no table, so it looks up as NULL as label_sql's does.
LABELLED_FIELDS = ("product", "sub_product", "issue", "sub_issue", "company_response")


def plan(headers: list[str]) -> SourcePlan:
    refuse_identifier_columns(headers)
    found = field_columns(headers)
    missing = [f for f in mapping.REQUIRED_FIELDS if f not in found]
    if missing:
        raise Refused(f"lacks CFPB field(s): {', '.join(missing)}")
    derived = {f"label_{f}": compared_text_sql(found[f]) for f in LABELLED_FIELDS
               if f in found}

    def label(field: str) -> str | None:
        return f"label_{field}" if field in found else None

    product = product_sql(label("product"), label("sub_product"))
    issue_route = lookup_sql(label("issue"), mapping.RELIEF_ISSUES)
    sub_issue_route = (lookup_sql(label("sub_issue"), mapping.RELIEF_SUB_ISSUES)
                       if "sub_issue" in found else "null")
    response = found["company_response"]
    outcome = f"coalesce({lookup_sql(label('company_response'), mapping.OUTCOMES)}, {response})"
    state = found.get("state")

    columns = {name: "null" for name in contract.COLUMN_NAMES}
    columns.update(
        case_id=f"{sql_literal(mapping.CASE_ID_PREFIX)} || trim({found['complaint_id']})",
        applied_on=date_sql(found["date_received"]),
        product=product,
        route=f"coalesce({sub_issue_route}, {issue_route})",
        channel=sql_literal(mapping.CHANNEL),
        region=f"(case when {label_sql(state)} is not null then {state} end)" if state else "null",
        outcome=outcome,
    )
    # Not a relief request: not credit, or neither issue nor sub-issue asks for relief.
    skip = f"(({product}) is null or (({issue_route}) is null and ({sub_issue_route}) is null))"
    # Only the mapped fields leave the CSV reader; narratives and the rest stay in it.
    return SourcePlan(source=SOURCE, columns=columns, skip=skip, reads=frozenset(found.values()),
                      derived=derived)
