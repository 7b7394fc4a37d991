"""The report page in a real browser: headless Chromium, networking disabled.

Skipped only when Chromium is absent and CI is not set; under CI it must run.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pipelines.report.build import build_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists()
                                        else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0",
         # no network at all: every host resolves nowhere
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]

pytestmark = pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true",
                                reason="chromium is not installed (CI installs it)")


def run_chromium(page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    profile.mkdir()
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def problems(stderr: str) -> list[str]:
    """Console messages and failed loads reported by Chromium."""
    return [line for line in stderr.splitlines()
            if "CONSOLE" in line or "net::ERR" in line or "Refused to" in line]


def test_the_check_notices_a_failed_request(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><img src="missing.png">'
                    '<script>console.error("boom")</script></body></html>', "utf-8")
    result = run_chromium(page, tmp_path, "--dump-dom")
    assert problems(result.stderr)


def test_report_page_renders_cleanly_with_its_headline(report_home, tmp_path):
    folder = build_report(report_home, "2026-06", "both")
    with open(folder / "tables" / "headline.csv", encoding="utf-8-sig", newline="") as fh:
        headline = list(csv.DictReader(fh))
    for name in ("index.html", "index.zh.html"):
        result = run_chromium(folder / name, tmp_path, "--dump-dom")
        assert result.returncode == 0, result.stderr[-2000:]
        assert problems(result.stderr) == [], name
        dom = result.stdout
        every = [r for r in headline if r["route"] == "*"][0]
        assert f"{int(every['requests']):,}" in dom
        assert f"{float(every['approval_rate']) * 100:.1f}%" in dom
        for row in headline:
            if row["decided"] != "suppressed":
                assert f"{int(row['decided']):,}" in dom
    shots = []
    for page in ("index.html", "index.zh.html"):
        for width, height, kind in ((420, 2400, "phone"), (1280, 4000, "desktop")):
            shot = f"{page.removesuffix('.html').replace('.', '-')}-{kind}.png"
            result = run_chromium(folder / page, tmp_path, f"--screenshot={tmp_path / shot}",
                                  f"--window-size={width},{height}")
            assert (tmp_path / shot).stat().st_size > 10_000
            shots.append(shot)
    keep = os.environ.get("RELIEF_REPORT_SCREENSHOTS")
    if keep:  # for looking at them: RELIEF_REPORT_SCREENSHOTS=/some/dir
        for shot in shots:
            shutil.copy(tmp_path / shot, Path(keep) / shot)


def test_the_chinese_page_as_the_browser_shows_it(report_home, tmp_path):
    """The rendered DOM of the Chinese page: no English code outside code and quotes,
    every figure drawn with its tick labels, the SQL folded away."""
    from tests.report.test_build import KEPT_ON_ZH_PAGE, visible_words

    folder = build_report(report_home, "2026-06", "both")
    result = run_chromium(folder / "index.zh.html", tmp_path, "--dump-dom")
    assert result.returncode == 0 and problems(result.stderr) == []
    dom = result.stdout
    regions = set()
    for name in ("segments", "model_groups"):
        with open(folder / "tables" / f"{name}.csv", encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if "region" in (row.get("segment"), row.get("group")):
                    regions |= set(re.findall(r"[A-Za-z][A-Za-z_]+", row["value"]))
    assert set(visible_words(dom)) - KEPT_ON_ZH_PAGE - regions == set()
    assert dom.count("<figure") >= 10 and dom.count("<svg") == dom.count("<figure")
    assert "<details><summary><code>sql/report/period_cells.sql</code></summary>" in dom
