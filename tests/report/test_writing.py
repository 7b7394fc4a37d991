"""Writing a report's files: one language never removes the other's; the headline
table of a written report for the flow."""

from __future__ import annotations

from pipelines.report.build import build_report
from pipelines.report.writing import headline_markdown


def test_one_language_never_removes_the_other(report_home):
    both = build_report(report_home, "2026-05", "both")
    english = (both / "index.html").read_text("utf-8")
    build_report(report_home, "2026-05", "zh")
    assert (both / "index.html").read_text("utf-8") == english
    assert (both / "report.md").exists() and (both / "index.zh.html").exists()
    assert 'lang="zh-CN"' in (both / "index.zh.html").read_text("utf-8")
    build_report(report_home, "2026-05", "en")
    for name in ("index.html", "report.md", "index.zh.html", "report.zh.md"):
        assert (both / name).exists(), name
    assert 'lang="en"' in (both / "index.html").read_text("utf-8")
    assert (both / "figures" / "approval_trend.zh.svg").exists()


def test_headline_markdown_for_the_flow(report_home):
    written = build_report(report_home, "2026-06", "en")
    text = headline_markdown(written)
    assert str(written) in text
    assert text.count("\n|") >= 7
