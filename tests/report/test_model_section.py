"""Sections 4 and 5 against the promoted model's metadata.json and the guide's answers."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from pipelines.approval import registry
from pipelines.approval.guide import expectations
from pipelines.report import build, model_section
from pipelines.report.text import value_label
from tests.report.conftest import table


@pytest.fixture(scope="module")
def metadata(report_home) -> dict:
    version = registry.current_version(report_home)
    assert version is not None
    return registry.load_metadata(report_home, version)


def test_model_section_shows_the_promoted_models_figures(report_home, metadata):
    section = model_section.model_section(report_home, 10)
    text = " ".join(p["en"] for p in section.paragraphs)
    assert metadata["version"] in text
    assert value_label("en", metadata["metrics"]["chosen"]) in text
    zh = " ".join(p["zh"] for p in section.paragraphs if not p.get("quoted"))
    assert value_label("zh", metadata["metrics"]["chosen"]) in zh
    assert f"{metadata['trained_on']['cases']:,}" in text and metadata["holdout"]["to"] in text
    chosen = metadata["metrics"]["candidates"][metadata["metrics"]["chosen"]]["metrics"]
    [metrics] = table(section, "model_metrics")
    for key in ("roc_auc", "brier_skill", "ece", "log_loss"):
        assert metrics[key] == pytest.approx(chosen["overall"][key], abs=1e-4)
    groups = {(r["group"], r["value"]): r for r in table(section, "model_groups")}
    shown = 0
    for kind in ("by_route", "by_age_band", "by_region"):
        for value, s in chosen[kind].items():
            row = groups[(kind.removeprefix("by_"), value)]
            if row["cases"] is None:
                continue
            assert row["cases"] == s["cases"] >= 10
            if row["observed_rate"] is not None:
                assert row["observed_rate"] == pytest.approx(s["observed_rate"], abs=1e-4)
                assert row["roc_auc"] == pytest.approx(s["roc_auc"], abs=1e-4)
                shown += 1
    assert shown >= 6
    bins = table(section, "model_calibration")
    assert [b["cases"] for b in bins] == [b["cases"] if b["cases"] >= 10 else None
                                          for b in chosen["overall"]["calibration"] if b["cases"]]
    limits = [p["en"] for p in section.paragraphs][3:]
    card = (registry.version_dir(report_home, metadata["version"]) / registry.CARD_FILE).read_text()
    assert limits and all(f"- {line}" in card for line in limits)


def test_small_model_groups_are_suppressed_with_their_rates(report_home, metadata):
    chosen = metadata["metrics"]["candidates"][metadata["metrics"]["chosen"]]["metrics"]
    small = [v for v, s in chosen["by_region"].items()
             if s["cases"] < 10 or min(s["cases"] * s["observed_rate"],
                                       s["cases"] * (1 - s["observed_rate"])) < 9.5]
    assert small, "the fixture should have some small region groups"
    rows = {r["value"]: r for r in table(model_section.model_section(report_home, 10),
                                         "model_groups") if r["group"] == "region"}
    for value in small:
        assert rows[value]["observed_rate"] is None and rows[value]["roc_auc"] is None


def test_expectations_are_the_guides_answers(report_home):
    section = model_section.expectations_section(report_home, 10)
    rows = table(section, "expectations")
    assert {r["profile"] for r in rows} == set(model_section.PROFILES)
    for key, profile in model_section.PROFILES.items():
        answer = expectations(report_home, dict(profile))
        mine = [r for r in rows if r["profile"] == key]
        assert [r["route"] for r in mine] == [a["route"] for a in answer["routes"]]
        for r, a in zip(mine, answer["routes"], strict=True):
            assert (r["probability"], [r["probability_low"], r["probability_high"]]) == \
                (a["probability"], a["interval"])
            n, rate = a["similar_cases"], a["similar_approval_rate"]
            assert r["similar_cases"] == (None if 0 < n < 10 else n)
            if r["similar_approval_rate"] is not None:
                assert r["similar_approval_rate"] == rate
                assert not 0 < round(rate * n) < 10 and not 0 < n - round(rate * n) < 10
    words = " ".join(p["en"] for p in section.paragraphs)
    assert "First-time overdue" in words and "in 100" in words


def test_report_files_carry_the_model(report_home, metadata):
    folder = build.build_report(report_home, "2026-06", "en")
    page = (folder / "index.html").read_text("utf-8")
    assert metadata["version"] in page and "unavailable" not in page
    with open(folder / "tables" / "expectations.csv", encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 3 * 6


def test_default_period_on_data_ending_early_in_a_month():
    # CFPB data ends 2025-04-04: April is incomplete, so March 2025 is the default
    from pipelines.report.periods import default_period

    assert default_period(date(2025, 4, 4), date(2026, 11, 28)).label == "2025-03"


def test_metadata_is_what_registry_reads(report_home, metadata):
    on_disk = json.loads(Path(registry.version_dir(report_home, metadata["version"]),
                              registry.METADATA_FILE).read_text("utf-8"))
    assert on_disk == metadata
