"""Information kept by small-cell suppression in one report.

Builds the report's tables twice from the same database: as published (threshold 10)
and with nothing suppressed (threshold 0, the true figures), and compares them cell by
cell. Printed: the share of count cells published, the share of case weight published
(the true counts of the published count cells over the true counts of every count
cell), the share of key rates (approval rate, broken share) published, and the same per
table. For the figures before a change, run this file with PYTHONPATH set to a
checkout of the earlier revision (`git worktree add /tmp/old REV`). The overall figures count the period's people: the data-quality batch and quarantine
tables (rows of files) and the model's and guide's tables (which follow the model
version) are listed but left out of them. Run: .venv/bin/python benchmarks/disclosure.py --home HOME [--period YYYY-MM]
"""

from __future__ import annotations

import argparse
import json

from pipelines import warehouse
from pipelines.config import Home
from pipelines.report import build
from pipelines.report.render import COUNT, RATE

KEY_RATES = ("approval_rate", "broken_share")
# listed, but left out of the overall figures: counts of file rows, not of people; and
# the model's and the guide's figures (they follow the model version, not the period)
LEFT_OUT = ("batches", "quarantine", "expectations", "model_groups", "model_calibration")


def tables(home: Home, period: str | None, threshold: int) -> dict:
    con = warehouse.connect_analysts(home)
    try:
        chosen = build.resolve_period(con, period)
        content = build.collect(con, home, chosen, threshold)
    finally:
        con.close()
    return chosen.label, {t.name: t for s in content["sections"] for t in s.tables}


def kept(published: dict, truth: dict) -> dict:
    """Per table and overall: count cells, their case weight and key rates published."""
    totals = {"cells": 0, "cells_published": 0, "weight": 0, "weight_published": 0,
              "key_rates": 0, "key_rates_published": 0}
    per_table = {}
    for name, table in truth.items():
        shown = published[name]
        assert len(shown.rows) == len(table.rows), f"{name}: the rows differ"
        t = dict.fromkeys(totals, 0)
        for true_row, shown_row in zip(table.rows, shown.rows, strict=True):
            for i, column in enumerate(table.columns):
                value, out = true_row[i], shown_row[i]
                if table.kinds[i] == COUNT and value is not None:
                    t["cells"] += 1
                    t["weight"] += int(value)
                    if out is not None:
                        t["cells_published"] += 1
                        t["weight_published"] += int(value)
                elif table.kinds[i] == RATE and column in KEY_RATES and isinstance(value, float):
                    t["key_rates"] += 1  # a rate that exists (not one of nobody)
                    t["key_rates_published"] += isinstance(out, float)
        per_table[name] = t
        if name in LEFT_OUT:
            continue
        for k in totals:
            totals[k] += t[k]
    return {"overall": totals, "tables": per_table}


def share(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{part / whole:.1%} ({part:,} of {whole:,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--period")
    parser.add_argument("--threshold", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = Home.resolve(args.home)
    label, published = tables(home, args.period, args.threshold)
    _, truth = tables(home, label, 0)
    result = kept(published, truth)
    if args.json:
        print(json.dumps({"period": label, **result}, indent=1))
        return
    o = result["overall"]
    print(f"report {label}, threshold {args.threshold}")
    print(f"  count cells published: {share(o['cells_published'], o['cells'])}")
    print(f"  case weight published: {share(o['weight_published'], o['weight'])}")
    print(f"  key rates published:   {share(o['key_rates_published'], o['key_rates'])}")
    for name, t in result["tables"].items():
        print(f"  {name:18} cells {share(t['cells_published'], t['cells'])}; "
              f"weight {share(t['weight_published'], t['weight'])}; "
              f"key rates {share(t['key_rates_published'], t['key_rates'])}")


if __name__ == "__main__":
    main()
