"""Sources: one module per kind of case file.

A source turns the columns of a file (pipelines.sources.files opens any format
as the view batch_source: c0, c1, ... with the file's headers kept aside) into
the contract's columns, as a SourcePlan of SQL expressions over their text. The
plan is all a source does; validation, privacy and loading are shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.contract import is_identifier_header
from pipelines.privacy import mask
from pipelines.sources.files import Refused


@dataclass(frozen=True)
class SourcePlan:
    source: str  # stored in cases.source
    # contract column -> SQL text expression over batch_source's c0..cN ("null" when absent)
    columns: dict[str, str]
    # SQL boolean over batch_source: the record is not a relief request (counted, not stored)
    skip: str | None = None
    # The batch_source columns the plan reads (c0, c1, ...); None: every column, and the
    # ones it does not map are still scanned for personal data ("a value anywhere").
    # A source naming them keeps every other column inside the file reader: never
    # read, so nothing of it can be stored (CFPB narratives).
    reads: frozenset[str] | None = None
    # Named SQL expressions over batch_source, computed once per record before the
    # mapping, which `columns` and `skip` may use by name (a label looked up in
    # several tables is worked out once, not once per table entry).
    derived: dict[str, str] = field(default_factory=dict)


def refuse_identifier_columns(headers: list[str]) -> None:
    """Every source refuses a file that carries a direct-identifier column."""
    for header in headers:
        if is_identifier_header(header):
            raise Refused(
                f"has a column of direct personal identifiers ({mask(header)!r}); "
                "remove it and export again"
            )


def plan_for(headers: list[str], source: str = "auto") -> SourcePlan:
    """The plan of the forced source, or of the first source whose header matches."""
    from pipelines.sources import canonical, cfpb

    kinds = {"canonical": canonical, "cfpb": cfpb}
    if source != "auto":
        if source not in kinds:
            raise ValueError(f"unknown source {source!r}; choose auto, {', '.join(kinds)}")
        return kinds[source].plan(headers)
    if cfpb.matches(headers):
        return cfpb.plan(headers)
    return canonical.plan(headers)


__all__ = ["Refused", "SourcePlan", "plan_for", "refuse_identifier_columns"]
