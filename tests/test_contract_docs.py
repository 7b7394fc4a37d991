"""docs/contract.md against pipelines/contract.py and rules.rules(): every column with
its alias and whether it is required, every enumeration value with each Chinese label,
every rule, every spelling and bucket, and every mart column the contract promises."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines import contract, rules

CONTRACT_DOC = Path(__file__).resolve().parent.parent / "docs" / "contract.md"


def text() -> str:
    return CONTRACT_DOC.read_text("utf-8")


def section(heading: str) -> str:
    return text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_every_column_with_its_alias_and_required_flag():
    rows = {m[0]: (m[1], m[2]) for m in re.findall(
        r"^\| `(\w+)` \| (\S+) \| [^|]+ \| (yes|no) \|", section("Columns"), flags=re.M)}
    assert rows == {c.name: (c.zh, "yes" if c.required else "no") for c in contract.COLUMNS}


def test_every_enumeration_value_and_label():
    enums = section("Enumerations")
    for column in contract.COLUMNS:
        if not column.enum:
            continue
        block = re.search(rf"^### [^\n]*`{column.name}`[^\n]*\n(.*?)(?=^### |\Z)", enums,
                          flags=re.M | re.S)
        assert block, f"no ### heading naming `{column.name}` in docs/contract.md"
        documented = dict(re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", block.group(1), flags=re.M))
        assert list(documented) == list(column.enum), column.name  # same values, same order
        for value, labels in column.enum.items():
            shown = [] if documented[value].strip() == "(none)" else [
                label.strip() for label in documented[value].split(", ")]
            assert shown == list(labels), (column.name, value)


def test_every_rule_is_documented():
    documented = set(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", section("Rules"), flags=re.M))
    assert {(r.column, r.rule) for r in rules.rules()} == documented
    for rule in ("personal_data", "too_few_fields", "too_many_fields", "malformed_record"):
        assert f"`{rule}`" in section("Rules")


def test_spellings_and_buckets():
    columns = section("Columns")
    for spelling in contract.TRUE_SPELLINGS + contract.FALSE_SPELLINGS:
        assert f"`{spelling}`" in columns, spelling
    for shape in ("YYYY-MM-DD", "YYYY/MM/DD", "YYYY年MM月DD日"):
        assert f"`{shape}`" in columns
    assert len(contract.DATE_FORMATS) == 3
    buckets = section("Derived buckets")
    for labels in (contract.OVERDUE_BUCKETS, contract.PRIOR_OVERDUES_BUCKETS,
                   contract.DOCUMENTS_SUBMITTED):
        for label in labels:
            assert f"`{label}`" in buckets, label


def test_the_promised_tables_marts_and_segments():
    promised = section("What analysts can rely on")
    for name in ("cases", "case_history", "quarantine", "ingest_log", "route_outcomes",
                 "route_outcomes_monthly", "route_outcomes_by_segment", "decided_share",
                 "provisional", "median_days_to_decision_km", "p90_days_to_decision_km",
                 "approval_rate_low", "broken_plan_share", "segment_value"):
        assert f"`{name}`" in promised, name
    for segment in contract.SEGMENTS:
        assert f"`{segment}`" in promised, segment


def test_every_zip_refusal_is_documented():
    from tests.sources.test_zipped import BAD_ARCHIVES

    bad_input = section("Bad input: what each gets")
    for case, (_, message) in BAD_ARCHIVES.items():
        assert message.split(" (")[0] in bad_input, case
