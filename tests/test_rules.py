"""pipelines/rules.py: the rules the contract states, each documented."""

from __future__ import annotations

from pathlib import Path

from pipelines import contract
from pipelines.rules import rules


def test_contract_required_columns_are_required():
    assert set(contract.REQUIRED) == {"case_id", "applied_on", "product", "route", "outcome"}


def test_every_rule_is_documented():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "ingestion.md").read_text()
    for r in rules():
        assert f"| `{r.column}` | `{r.rule}` |" in doc, (r.column, r.rule)
