"""A small home for report tests: synthetic cases plus a few hostile region values,
ingested the way the pipeline ingests files (so quarantine and ingest_log are real),
and a model trained and promoted once from it (sections 4 and 5 show real figures)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines import contract, ingest, synth
from pipelines.config import Home

SCRIPT_REGION = "<script>alert(1)</script>"
FORMULA_REGION = "=cmd|' /C calc'!A0"


def _hostile_rows(path: Path) -> None:
    """12 decided cases in June 2026 for each hostile region (enough to be published),
    and one row that breaks the contract (quarantined)."""
    rows = []
    for r, region in enumerate((SCRIPT_REGION, FORMULA_REGION)):
        for i in range(24):
            rows.append({"case_id": f"HOSTILE{r}-{i}", "applied_on": "2026-06-10",
                         "decided_on": "2026-06-20", "product": "credit_card",
                         "route": "installment", "region": region,
                         "outcome": "approved" if i % 2 else "rejected"})
    rows.append({"case_id": "BAD-1", "applied_on": "2026-06-10", "product": "credit_card",
                 "route": "installment", "outcome": "no_such_outcome"})
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(contract.COLUMN_NAMES))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="session")
def report_home(tmp_path_factory) -> Home:
    root = tmp_path_factory.mktemp("report-home")
    home = Home.resolve(root)
    synth.write_cases(root / "synthetic.csv", 30_000, 11)
    _hostile_rows(root / "hostile.csv")
    results = ingest.ingest_paths(home, [root / "synthetic.csv", root / "hostile.csv"])
    assert [r.status for r in results] == ["loaded", "loaded"]
    from pipelines.approval.train import train_and_maybe_promote

    assert train_and_maybe_promote(home)["promoted"]
    return home


def table(section, name: str) -> list[dict]:
    """A built section's table, by name, as one dict per row."""
    found = [t for t in section.tables if t.name == name]
    assert found, f"no table {name}"
    return [dict(zip(found[0].columns, row, strict=True)) for row in found[0].rows]
