"""The report against the marts, the suppression guarantee, escaping, reproducibility."""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from pipelines import warehouse
from pipelines.report.build import ReportError, build_report
from pipelines.report.periods import default_period, parse_period
from pipelines.report.render import csv_cell
from tests.report.conftest import FORMULA_REGION, SCRIPT_REGION

MONTHS = ("2026-04", "2026-05", "2026-06")


@pytest.fixture(scope="module")
def reports(report_home, tmp_path_factory):
    """The three monthly reports of 2026-Q2 and the quarterly one (copies kept)."""
    import shutil

    keep = tmp_path_factory.mktemp("reports")
    out = {}
    for label in (*MONTHS, "2026-Q2"):
        path = build_report(report_home, label, "both", now=datetime(2026, 7, 1, tzinfo=UTC))
        out[label] = Path(shutil.copytree(path, keep / label))
    return out


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} lacks the UTF-8 BOM"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def num(text: str):
    return None if text == "suppressed" else float(text)


# --- periods -----------------------------------------------------------------------------


def test_periods_parse_and_default():
    assert parse_period("2026-Q2").month_starts == [date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
    assert parse_period("2026-01").previous.label == "2025-12"
    assert parse_period("2026-Q1").previous.label == "2025-Q4"
    assert parse_period("2026-Q1").year_earlier.label == "2025-Q1"
    with pytest.raises(ValueError):
        parse_period("2026-13")
    # data running to the month's last day: that month; otherwise the month before
    assert default_period(date(2026, 6, 30), date(2026, 11, 28)).label == "2026-06"
    assert default_period(date(2026, 6, 29), date(2026, 11, 28)).label == "2026-05"
    # never the current (incomplete) month
    assert default_period(date(2026, 11, 30), date(2026, 11, 28)).label == "2026-10"
    assert default_period(None, date(2026, 11, 28)) is None
    # the latest complete month that is not provisional (more than 5% pending)
    status = {date(2026, 4, 1): False, date(2026, 5, 1): True, date(2026, 6, 1): True}
    assert default_period(date(2026, 6, 30), date(2026, 11, 28), status).label == "2026-04"
    assert default_period(date(2026, 6, 29), date(2026, 11, 28), status).label == "2026-04"
    # a provisional month after the complete ones changes nothing
    assert default_period(date(2026, 6, 29), date(2026, 11, 28),
                          {date(2026, 5, 1): False, date(2026, 6, 1): True}).label == "2026-05"
    # every month provisional: the latest complete one (the report says so)
    assert default_period(date(2026, 6, 30), date(2026, 11, 28),
                          {date(2026, 5, 1): True, date(2026, 6, 1): True}).label == "2026-06"


def test_unknown_period_and_empty_period_fail_in_one_line(report_home):
    with pytest.raises(ReportError, match="YYYY-MM"):
        build_report(report_home, "June")
    with pytest.raises(ReportError, match="no cases"):
        build_report(report_home, "2019-01")


# --- figures against the marts -------------------------------------------------------------


def test_headline_and_trend_equal_route_outcomes_monthly(report_home, reports):
    con = warehouse.connect_analysts(report_home)
    mart = {(str(r[0])[:7], r[1]): r[2:] for r in con.sql(
        "select month, route, requests, decided, approved + partial, approval_rate, "
        "approval_rate_low, approval_rate_high from route_outcomes_monthly").fetchall()}
    con.close()
    headline = read_csv(reports["2026-06"] / "tables" / "headline.csv")
    checked = 0
    for row in headline:
        if row["route"] == "*":
            continue
        requests, decided, granted, rate, low, high = mart[("2026-06", row["route"])]
        for column, expected in (("requests", requests), ("decided", decided), ("granted", granted)):
            if row[column] != "suppressed":
                assert int(row[column]) == expected
                checked += 1
        if row["approval_rate"] != "suppressed":
            assert float(row["approval_rate"]) == pytest.approx(rate, abs=1e-6)
            assert float(row["approval_rate_low"]) == pytest.approx(low, abs=1e-6)
            assert float(row["approval_rate_high"]) == pytest.approx(high, abs=1e-6)
            checked += 1
    for row in read_csv(reports["2026-06"] / "tables" / "monthly_approval.csv"):
        _requests, decided, granted, rate, _low, _high = mart[(row["month"], row["route"])]
        if row["decided"] != "suppressed":
            assert int(row["decided"]) == decided
            checked += 1
        if row["approval_rate"] != "suppressed":
            assert float(row["approval_rate"]) == pytest.approx(rate, abs=1e-6)
    assert checked > 30


def test_quarter_counts_are_sums_of_cases(report_home, reports):
    con = warehouse.connect_analysts(report_home)
    truth = dict(con.sql("select route, count(*) from cases where applied_on >= date '2026-04-01' "
                         "and applied_on < date '2026-07-01' group by route").fetchall())
    con.close()
    rows = [r for r in read_csv(reports["2026-Q2"] / "tables" / "outcomes.csv")
            if r["period"] == "2026-Q2" and r["route"] != "*"]
    assert {r["route"] for r in rows} >= set(truth)
    assert all(int(r["requests"]) == truth[r["route"]] for r in rows if r["requests"] != "suppressed")


def test_significant_changes_match_period_change(report_home, reports):
    con = warehouse.connect_analysts(report_home)
    significant = con.sql("select route, comparison from period_change "
                          "where month = date '2026-06-01' and significant").fetchall()
    con.close()
    text = (reports["2026-06"] / "report.md").read_text("utf-8")
    said = len(re.findall(r"larger than chance would explain", text))
    # a change is described only when both its rates are published
    assert said <= len(significant)
    if not significant:
        assert "No route's approval rate changed" in text


def test_time_to_decision_and_segments_match_the_database(report_home, reports):
    con = warehouse.connect_analysts(report_home)
    medians = dict(con.sql("select route, median_days_to_decision from route_outcomes_monthly "
                           "where month = date '2026-06-01'").fetchall())
    km = {r[0]: r[1:] for r in con.sql(
        "select route, median_days_to_decision_km, p90_days_to_decision_km, provisional "
        "from route_outcomes_monthly where month = date '2026-06-01'").fetchall()}
    docs = {r[0]: r[1:] for r in con.sql(
        "select coalesce(documents_submitted, 'unknown'), count_if(outcome in ('approved', 'partial', "
        "'rejected')), count_if(outcome in ('approved', 'partial')) from cases where applied_on >= "
        "date '2026-06-01' and applied_on < date '2026-07-01' group by 1").fetchall()}
    con.close()
    for row in read_csv(reports["2026-06"] / "tables" / "time_to_decision.csv"):
        if row["median_days_to_decision"] != "suppressed":
            assert float(row["median_days_to_decision"]) == pytest.approx(medians[row["route"]])
        median, p90, provisional = km[row["route"]]
        assert row["provisional"] == ("true" if provisional else "false")
        assert row["median_days_to_decision_km"] != "suppressed"  # the routes are large
        assert float(row["median_days_to_decision_km"]) == pytest.approx(median)
        assert row["p90_days_to_decision_km"] == (
            "not_reached" if p90 is None else row["p90_days_to_decision_km"])
        if p90 is not None:
            assert float(row["p90_days_to_decision_km"]) == pytest.approx(p90)
    seen = 0
    for row in read_csv(reports["2026-06"] / "tables" / "segments.csv"):
        if row["segment"] == "documents_submitted":
            for i, column in enumerate(("decided", "granted")):
                if row[column] != "suppressed":
                    assert int(row[column]) == docs[row["value"]][i]
                    seen += 1
    assert seen >= 3


def test_data_quality_counts_without_quarantine_content(reports):
    folder = reports["2026-06"]
    batches = read_csv(folder / "tables" / "batches.csv")
    assert [b["rows_read"] for b in batches if b["batch_id"] == "*"] == ["30049"]
    everything = "".join(p.read_text("utf-8") for p in folder.rglob("*") if p.is_file())
    assert "BAD-1" not in everything and "no_such_outcome" not in everything
    assert "synthetic.csv" not in everything  # no file names either


# --- disclosure control --------------------------------------------------------------------


def _attack_cells(folders: list[Path]) -> tuple[dict, list]:
    """Every count the reports publish, as (period, dimension, value, class) -> int or None,
    and every additive relation a reader knows between them."""
    cells: dict = {}

    def put(key, text):
        value = num(text)
        if key in cells and cells[key] is not None and value is not None:
            assert cells[key] == value, f"{key} differs between tables"
        if key not in cells or cells[key] is None:
            cells[key] = value

    for folder in folders:
        tables = folder / "tables"
        for r in read_csv(tables / "outcomes.csv"):
            dim = "*" if r["route"] == "*" else "route"
            for c in ("requests", "granted", "rejected", "withdrawn", "pending", "decided"):
                put((r["period"], dim, r["route"], c), r[c])
        for r in read_csv(tables / "monthly_approval.csv"):
            for c in ("decided", "granted"):
                put((r["month"], "route", r["route"], c), r[c])
        period = folder.name
        for r in read_csv(tables / "segments.csv"):
            for c in ("decided", "granted"):
                put((period, r["segment"], r["value"], c), r[c])
        for r in read_csv(tables / "plan_adherence.csv"):
            for c in ("completed", "active", "broken", "status_unknown"):
                put((r["period"], "granted_route", r["granted_route"], c), r[c])
            put((r["period"], "granted_route", r["granted_route"], "granted"), r["plans"])
    shown = {k for k, v in cells.items() if v is None}
    relations = []
    nodes = {k[:3] for k in cells}
    for node in nodes:
        k = lambda c, node=node: (*node, c)  # noqa: E731
        if k("granted") in cells and k("decided") in cells:
            cells.setdefault(k("rejected"), None)
            relations.append((k("decided"), [k("granted"), k("rejected")]))
        if k("requests") in cells:
            relations.append((k("requests"), [k("decided"), k("withdrawn"), k("pending")]))
        if k("completed") in cells:
            relations.append((k("granted"), [k(c) for c in ("completed", "active", "broken",
                                                             "status_unknown")]))
    periods = {n[0] for n in nodes}
    for p in periods:
        dims = {n[1] for n in nodes if n[0] == p and n[1] != "*"}
        for d in dims:
            values = sorted(n[2] for n in nodes if n[0] == p and n[1] == d)
            for c in ("granted", "rejected", "decided", "requests", "withdrawn", "pending"):
                parts = [(p, d, v, c) for v in values]
                if d == "granted_route" and c != "granted":
                    continue
                if ((p, "*", "*", c) in cells or c in ("granted", "decided")) and all(
                        x in cells for x in parts):
                    cells.setdefault((p, "*", "*", c), None)
                    relations.append(((p, "*", "*", c), parts))
            if d == "granted_route":
                for c in ("completed", "active", "broken", "status_unknown"):
                    relations.append(((p, "*", "*", c), [(p, d, v, c) for v in values]))
                    cells.setdefault((p, "*", "*", c), None)
    quarter = parse_period("2026-Q2")
    months = [f"{m.year}-{m.month:02d}" for m in quarter.month_starts]
    for key in list(cells):
        if key[0] == quarter.label:
            parts = [(m, *key[1:]) for m in months]
            for part in parts:
                cells.setdefault(part, 0.0 if key[1] in ("region",) else None)
            relations.append((key, parts))
    return cells, relations, shown


def _recovered(cells: dict, relations: list, shown_suppressed: set | None = None,
               threshold: int = 10) -> list:
    """Cells an attacker pins to one integer that are a leak: shown as suppressed, or never
    shown but small. The attacker knows counts are >= 0, and a cell shown as suppressed
    >= 1 (zeros are always published). Solved per connected group of relations."""
    shown_suppressed = {k for k, v in cells.items() if v is None} if shown_suppressed is None \
        else shown_suppressed
    unknown = {k for k, v in cells.items() if v is None}
    groups: dict = {}
    for relation in relations:
        members = [c for c in (relation[0], *relation[1]) if c in unknown]
        if not members:
            continue
        ids = {id(groups[c]) for c in members if c in groups}
        merged = [relation]
        for g in {id(groups[c]): groups[c] for c in members if c in groups}.values():
            merged += g
        del ids
        for rel in merged:
            for c in (rel[0], *rel[1]):
                if c in unknown:
                    groups[c] = merged
    found = []
    for group in {id(g): g for g in groups.values()}.values():
        names = sorted({c for rel in group for c in (rel[0], *rel[1]) if c in unknown})
        column = {k: i for i, k in enumerate(names)}
        a_eq, b_eq = np.zeros((len(group), len(names))), np.zeros(len(group))
        for row, (total, parts) in enumerate(group):
            for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if cell in column:
                    a_eq[row, column[cell]] += sign
                else:
                    b_eq[row] -= sign * cells[cell]
        bounds = [(1 if k in shown_suppressed else 0, None) for k in names]
        for cell, j in column.items():
            c = np.zeros(len(names))
            c[j] = 1
            low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            assert low.status == 0, "the published counts are inconsistent"
            if cell not in shown_suppressed and low.fun >= threshold:
                continue  # not shown, but large: no small count learned
            high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if high.status == 0 and np.ceil(low.fun - 1e-6) >= np.floor(-high.fun + 1e-6):
                if cell not in shown_suppressed and low.fun < 0.5:
                    continue  # a zero never shown: zeros are published anyway
                found.append((cell, low.fun))
    return found


def test_no_suppressed_cell_can_be_recovered_from_all_reports_of_a_quarter(reports):
    folders = [reports[m] for m in (*MONTHS, "2026-Q2")]
    cells, relations, shown = _attack_cells(folders)
    assert len(shown) > 50  # the attack has something to attack
    assert _recovered(cells, relations, shown) == []


def test_the_attack_does_recover_cells_without_complementary_suppression(reports, report_home):
    """The same attack succeeds once the complementary cells (hidden although >= 10) show."""
    from pipelines.report.queries import report_sql

    cells, relations, shown = _attack_cells([reports["2026-06"]])
    con = warehouse.connect_analysts(report_home)
    truth = {}
    for r in con.sql(report_sql("period_cells", {"start": date(2026, 6, 1),
                                                 "end": date(2026, 7, 1)})).pl().to_dicts():
        for c in ("granted", "rejected", "withdrawn", "pending", "completed", "active", "broken",
                  "status_unknown"):
            truth[("2026-06", r["dimension"], r["value"], c)] = r[c]
        truth[("2026-06", r["dimension"], r["value"], "decided")] = r["granted"] + r["rejected"]
        truth[("2026-06", r["dimension"], r["value"], "requests")] = (
            r["granted"] + r["rejected"] + r["withdrawn"] + r["pending"])
    con.close()
    revealed = 0
    for key in shown:
        if (truth.get(key) or 0) >= 10:
            cells[key] = float(truth[key])
            revealed += 1
    assert revealed > 0
    primary_left = {k for k in shown if cells[k] is None}
    assert primary_left
    assert _recovered(cells, relations, primary_left)


def test_small_counts_never_published(reports):
    """Counts of people: 1 to 9 never shown; zeros always shown (never 'suppressed')."""
    zeros = 0
    for folder in reports.values():
        for path in (folder / "tables").glob("*.csv"):
            if path.stem in ("batches", "quarantine"):
                continue  # rows of files, not people (test_file_counts_are_published)
            for row in read_csv(path):
                for column, value in row.items():
                    if column in ("requests", "decided", "granted", "rejected", "withdrawn", "pending",
                                  "plans", "completed", "active", "broken", "status_unknown",
                                  "unknown", "cases", "similar_cases"):
                        assert value == "suppressed" or not 0 < int(value) < 10, (path.name, row)
                        zeros += value == "0"
    assert zeros  # the zero rule is exercised


def test_file_counts_are_published(reports, report_home):
    """Batch and quarantine counts describe files, not people: exact, never suppressed."""
    con = warehouse.connect_analysts(report_home)
    truth = con.sql("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined), "
                    "sum(rows_skipped) from ingest_log").fetchall()[0]
    con.close()
    batches = read_csv(reports["2026-06"] / "tables" / "batches.csv")
    total = [b for b in batches if b["batch_id"] == "*"][0]
    assert [int(total[c]) for c in ("rows_read", "rows_loaded", "rows_quarantined",
                                    "rows_skipped")] == [int(x) for x in truth]
    quarantined = read_csv(reports["2026-06"] / "tables" / "quarantine.csv")
    assert quarantined and all(r["quarantined_rows"] != "suppressed" for r in quarantined)


def test_rates_hidden_when_their_counts_are(reports):
    for row in read_csv(reports["2026-Q2"] / "tables" / "segments.csv"):
        if "suppressed" in (row["decided"], row["granted"]):
            assert row["approval_rate"] == row["approval_rate_low"] == "suppressed"


# --- reading ---------------------------------------------------------------------------------

# English a Chinese reader still sees: names (Kaplan-Meier, Holm, Brier), the metrics'
# usual abbreviations, and the link to the English page
KEPT_ON_ZH_PAGE = {"Kaplan", "Meier", "Holm", "Brier", "ROC", "AUC", "ECE", "English", "version"}


def visible_words(page: str) -> list[str]:
    """Latin words a reader sees on a page, outside code, quoted text and style."""
    import html

    body = page[page.index("<body>"):]
    for tag in ("pre", "code", "style", "blockquote"):
        body = re.sub(rf"<{tag}\b.*?</{tag}>", " ", body, flags=re.S)
    return re.findall(r"[A-Za-z][A-Za-z_]+", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_chinese_page_has_no_english_code(reports):
    for label in ("2026-06", "2026-Q2"):
        folder = reports[label]
        regions = " ".join([r["value"] for r in read_csv(folder / "tables" / "segments.csv")
                            if r["segment"] == "region"]
                           + [r["value"] for r in read_csv(folder / "tables" / "model_groups.csv")
                              if r["group"] == "region"])
        data = set(re.findall(r"[A-Za-z][A-Za-z_]+", regions))  # region names are data
        left = set(visible_words((folder / "index.zh.html").read_text("utf-8")))
        assert left - KEPT_ON_ZH_PAGE - data == set(), label
        # the check can fail: the English page is full of words
        assert len(set(visible_words((folder / "index.html").read_text("utf-8")))) > 200


def test_every_chart_has_a_labelled_scale(reports):
    figures = sorted((reports["2026-06"] / "figures").glob("*.svg"))
    assert len(figures) >= 10
    for svg in figures:
        text = svg.read_text("utf-8")
        ticks = re.findall(r">([0-9][0-9,.]*%?)</text>", text)
        assert len(ticks) >= 3, svg.name
        name, lang = svg.stem.split(".")
        units = {("time_to_decision", "en"): "days", ("time_to_decision", "zh"): "天",
                 ("relief_granted", "en"): "yuan", ("relief_granted", "zh"): "元"}
        if (name, lang) in units:
            assert f">{units[(name, lang)]}</text>" in text, svg.name  # the axis says its unit
        assert "rotate(" not in text, svg.name  # no sideways axis title


def test_sql_is_folded_away_and_provisional_figures_marked(reports):
    page = (reports["2026-06"] / "index.html").read_text("utf-8")
    body = re.sub(r"<details>.*?</details>", "", page, flags=re.S)
    assert "<pre>" not in body and "select" not in body.lower()
    assert page.count("<details><summary><code>sql/report/") >= 8
    # the synthetic data ends 2026-06-30 with many requests pending: June is provisional
    assert 'class="banner"' in page and "provisional" in page
    assert '<tr class="provisional">' in page
    headline = read_csv(reports["2026-06"] / "tables" / "headline.csv")
    assert {r["provisional"] for r in headline} == {"true"}
    ttd = read_csv(reports["2026-06"] / "tables" / "time_to_decision.csv")
    assert all(r["median_days_to_decision_km"] not in ("", None) for r in ttd)
    trend = (reports["2026-06"] / "figures" / "approval_trend.en.svg").read_text("utf-8")
    assert 'fill="#fff"' in trend and "stroke-dasharray" in trend  # hollow, dashed points


# --- safety --------------------------------------------------------------------------------


def test_hostile_values_are_escaped_everywhere(reports):
    folder = reports["2026-06"]
    for name in ("index.html", "index.zh.html"):
        page = (folder / name).read_text("utf-8")
        assert "<script" not in page.lower()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for svg in (folder / "figures").glob("*.svg"):
        assert "<script" not in svg.read_text("utf-8").lower()
    md = (folder / "report.md").read_text("utf-8")
    assert "<script" not in md and "&lt;script&gt;" in md
    regions = {r["value"] for r in read_csv(folder / "tables" / "segments.csv")
               if r["segment"] == "region"}
    assert "'" + FORMULA_REGION in regions
    assert SCRIPT_REGION in regions  # text in a CSV cell is harmless; it is not a formula


def test_csv_cells_cannot_be_formulas():
    assert csv_cell("=1+1") == "'=1+1"
    assert csv_cell("+1+1") == "'+1+1"
    assert csv_cell("-1+1") == "'-1+1"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-0.25") == "-0.25"  # a plain negative number stays a number
    assert csv_cell(-0.25) == "-0.25"
    assert csv_cell(None) == "suppressed"


# --- reproducibility -------------------------------------------------------------------------


def test_same_database_same_bytes_except_the_generation_line(report_home, reports):
    again = build_report(report_home, "2026-06", "both", now=datetime(2030, 1, 1, tzinfo=UTC))
    first = reports["2026-06"]
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for name in names:
        a, b = (first / name).read_bytes(), (again / name).read_bytes()
        if name.suffix in (".html", ".md"):
            diff = [(x, y) for x, y in zip(a.splitlines(), b.splitlines(), strict=True) if x != y]
            assert len(diff) == 1 and b"2030-01-01" in diff[0][1], name
        else:
            assert a == b, name
