"""Writing a built report: reports/<period>/ with its pages (HTML and Markdown per
language), tables (CSV) and figures (SVG), replaced in one rename; and the headline
table of a written report as Markdown (the flow's artifact)."""

from __future__ import annotations

import csv
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pipelines import formatting
from pipelines.config import Home
from pipelines.report.periods import Period
from pipelines.report.render import Section, html_page, markdown, write_csv
from pipelines.report.text import LANGS, t, value_label

HTML_NAMES = {"en": "index.html", "zh": "index.zh.html"}
MD_NAMES = {"en": "report.md", "zh": "report.zh.md"}


def write_report(home: Home, period: Period, content: dict, langs: tuple[str, ...], threshold: int,
                 now: datetime | None = None) -> Path:
    """Write every file into a temporary folder, then rename it over reports/<period>/."""
    sections = _moved_code(content["sections"])
    home.reports.mkdir(parents=True, exist_ok=True)
    target = home.reports / period.label
    tmp = home.reports / f".tmp-{period.label}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "tables").mkdir(parents=True)
    (tmp / "figures").mkdir()
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for section in sections:
        for table in section.tables:
            (tmp / "tables" / f"{table.name}.csv").write_bytes(write_csv(table))
        for name, svg in section.figures:
            for lg in langs:
                (tmp / "figures" / f"{name}.{lg}.svg").write_text(svg[lg], "utf-8")
    kept = _keep_other_languages(target, tmp, langs)
    present = (*langs, *kept)
    for lg in langs:
        other = next((x for x in LANGS if x != lg and x in present), None)
        title = t(lg, "title", period=period.label)
        generated = t(lg, "generated", when=when)
        intro = [t(lg, "intro"), t(lg, "suppression_note", threshold_less=threshold - 1,
                                        marker=t(lg, "marker"))]
        banner = content["banner"][lg] if content.get("banner") else None
        (tmp / HTML_NAMES[lg]).write_text(html_page(
            lg, title, generated, intro, sections, HTML_NAMES[other] if other else None, banner),
            "utf-8")
        (tmp / MD_NAMES[lg]).write_text(markdown(
            lg, title, generated, intro, sections, MD_NAMES[other] if other else None, banner),
            "utf-8")
    old = home.reports / f".old-{period.label}-{os.getpid()}"
    if target.exists():
        os.rename(target, old)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _keep_other_languages(target: Path, tmp: Path, langs: tuple[str, ...]) -> list[str]:
    """Copy the pages and figures of languages not being written from the report
    already at target (a report in one language never removes the other's files).
    Returns the languages kept."""
    kept = []
    for lg in LANGS:
        if lg in langs or not (target / HTML_NAMES[lg]).exists():
            continue
        kept.append(lg)
        for name in (HTML_NAMES[lg], MD_NAMES[lg]):
            if (target / name).exists():
                shutil.copy2(target / name, tmp / name)
        for svg in (target / "figures").glob(f"*.{lg}.svg"):
            shutil.copy2(svg, tmp / "figures" / svg.name)
    return kept


def _moved_code(sections: list[Section]) -> list[Section]:
    """All SQL goes to the method section (the last one), each under its query name."""
    method = sections[-1]
    code = [c for s in sections for c in s.code]
    for s in sections[:-1]:
        s.code = []
    method.code = [(f"sql/report/{name}.sql", sql) for name, sql in code]
    return sections


def headline_markdown(report_dir: Path, lang: str = "en") -> str:
    """The headline table of a written report, as Markdown, with the report's path
    (for the Prefect markdown artifact)."""
    with open(report_dir / "tables" / "headline.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    keep = ["route", "requests", "decided", "granted", "approval_rate", "approval_rate_low",
            "approval_rate_high"]
    idx = [header.index(c) for c in keep]
    lines = [f"Report: `{report_dir}`", "",
             "| route | requests | decided | approved | approval rate (95% interval) |",
             "|---|---|---|---|---|"]
    for r in body:
        v = [r[i] for i in idx]
        if v[4] in ("suppressed", ""):  # suppressed, or a rate of nobody
            rate = v[4] or "—"
        else:
            shown, low, high = formatting.rate_and_interval(float(v[4]), float(v[5]), float(v[6]))
            rate = f"{shown} ({low}–{high})"
        lines.append(f"| {value_label(lang, v[0])} | {v[1]} | {v[2]} | {v[3]} | {rate} |")
    return "\n".join(lines) + "\n"
