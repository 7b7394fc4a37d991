"""The canonical source: files in the contract's own columns (English names or
Chinese aliases, any order, case and spaces ignored)."""

from __future__ import annotations

from pipelines import contract
from pipelines.sources import SourcePlan, refuse_identifier_columns
from pipelines.sources.files import Refused

SOURCE = "canonical"


def plan(headers: list[str]) -> SourcePlan:
    refuse_identifier_columns(headers)
    aliases = contract.header_aliases()
    mapped: dict[str, str] = {}
    for i, header in enumerate(headers):
        name = aliases.get(contract.normalize_header(header))
        if name is None:
            continue  # extra columns are ignored, never stored
        if name in mapped:
            raise Refused(f"has column {name!r} twice (as {header!r} and another alias)")
        mapped[name] = f"c{i}"
    missing = [name for name in contract.REQUIRED if name not in mapped]
    if missing:
        raise Refused(f"lacks required column(s): {', '.join(missing)}")
    return SourcePlan(
        source=SOURCE, columns={name: mapped.get(name, "null") for name in contract.COLUMN_NAMES}
    )
