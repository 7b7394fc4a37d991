"""A profile as the guide reads it: one value at a time by the contract
(parse_value: the contract's spellings, 是/否, Chinese labels, bounds), a whole profile
(check_profile), or the rows of a CSV or JSON Lines file (read_profiles, through the
ingestion's readers).
"""

from __future__ import annotations

import math
from typing import Any

from pipelines import contract
from pipelines.approval import features as F


class ProfileError(ValueError):
    """The profile cannot be read (an unknown route, a negative amount, ...)."""



def check_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile restricted to model features, values checked against the contract.

    Missing keys, None and empty text mean unknown. route and product are required.
    Values may be typed (bool, numbers) or text as in a case file ("true", "是", "45").
    """
    out: dict[str, Any] = {}
    for name in F.FEATURES:
        value = parse_value(name, profile.get(name))
        if value is None and contract.BY_NAME[name].required:
            raise ProfileError(f"{name} is required")
        out[name] = value
    return out


def parse_value(name: str, value: Any) -> Any:
    """One case value by the contract: an enumeration's canonical value (any accepted
    spelling, Chinese labels included), True/False, or a number within the column's
    bounds; None for unknown. ProfileError says what is allowed."""
    column = contract.BY_NAME[name]
    if value is None or (isinstance(value, float) and math.isnan(value)) or (
            isinstance(value, str) and not value.strip()):
        return None
    if column.enum:
        spelled = contract.enum_spellings(column.enum).get(str(value).strip().lower())
        if spelled is None:
            raise ProfileError(f"{name} must be one of {', '.join(column.enum)}; got {value!r}")
        return spelled
    if column.kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in contract.TRUE_SPELLINGS:
            return True
        if text in contract.FALSE_SPELLINGS:
            return False
        raise ProfileError(f"{name} must be true or false; got {value!r}")
    if isinstance(value, bool):
        raise ProfileError(f"{name} must be a number; got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProfileError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(number):
        raise ProfileError(f"{name} must be a finite number; got {value!r}")
    if column.kind == "integer" and not number.is_integer():
        raise ProfileError(f"{name} must be a whole number; got {value!r}")
    if column.minimum is not None and number < column.minimum:
        raise ProfileError(f"{name} must be at least {column.minimum}; got {value!r}")
    if column.maximum is not None and number > column.maximum:
        raise ProfileError(f"{name} must be at most {column.maximum}; got {value!r}")
    return number


def read_profiles(path: str) -> list[dict[str, Any]]:
    """The rows of a CSV or JSON Lines file (gzip too) as contract column name -> text,
    read by the ingestion's readers (encoding detection, GB18030, Chinese headers).
    Columns outside the contract are ignored; a line the reader rejects becomes a row
    with only an `error`. ProfileError when the file cannot be read at all."""
    from pathlib import Path

    import duckdb

    from pipelines.sources import files

    aliases = contract.header_aliases()
    con = duckdb.connect()
    try:
        raw = files.open_source(con, Path(path))
        raw = files.scan(con, raw, f"create temp table profile_rows as select * from "
                         f"{files.SOURCE_VIEW}", "profile_rows")
        columns = {f"c{i}": aliases.get(contract.normalize_header(h))
                   for i, h in enumerate(raw.headers)}
        wanted = [c for c, name in columns.items() if name in F.FEATURES or name == "case_id"]
        select = ", ".join([f"{raw.line_sql} as line"] + wanted)
        rows = [(int(r[0]), {columns[c]: v for c, v in zip(wanted, r[1:], strict=True)})
                for r in con.execute(f"select {select} from (select rowid as row_id, * "
                                     "from profile_rows)").fetchall()]
        rows += [(int(line), {"error": f"line {line} could not be read ({rule})"})
                 for line, rule, _ in con.execute("select * from batch_structural").fetchall()]
    except files.Refused as exc:
        raise ProfileError(f"{path}: {exc}") from None
    except (OSError, duckdb.Error) as exc:
        raise ProfileError(f"{path} cannot be read: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()
    return [row for _, row in sorted(rows, key=lambda r: r[0])]
