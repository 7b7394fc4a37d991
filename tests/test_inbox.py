from __future__ import annotations

import os
from pathlib import Path

from pipelines import inbox


def test_archive_moves_inbox_files_and_never_overwrites(home):
    home.inbox.mkdir(parents=True)
    (home.inbox / "sub").mkdir()
    first = home.inbox / "sub" / "a.csv"
    first.write_text("x")
    moved = Path(inbox.archive(home, first, "loaded"))
    assert not first.exists() and moved.read_text() == "x" and moved.name == "sub__a.csv"
    first.write_text("y")
    again = Path(inbox.archive(home, first, "loaded"))
    assert again != moved and again.read_text() == "y" and moved.read_text() == "x"
    refused = home.inbox / "b.csv"
    refused.write_text("z")
    assert "refused" in Path(inbox.archive(home, refused, "refused")).parts
    outside = home.root / "elsewhere.csv"
    outside.write_text("w")
    assert inbox.archive(home, outside, "loaded") is None and outside.exists()


def test_waiting_lists_the_inbox_without_hidden_files(home):
    assert inbox.waiting(home) == []
    home.inbox.mkdir(parents=True)
    (home.inbox / "b.csv").write_text("x")
    (home.inbox / "a.csv").write_text("x")
    (home.inbox / "book.xlsx").write_text("x")  # taken, to be refused with what to do
    (home.inbox / ".synthetic-1.csv.partial").write_text("x")
    assert [p.name for p in inbox.waiting(home)] == ["a.csv", "b.csv", "book.xlsx"]


def test_an_output_is_current_only_when_newer_than_its_data(home):
    assert inbox.freshness(home, None, None) == {
        "analysts_current": False, "model_current": False, "report_current": False}
    home.data.mkdir(parents=True)
    home.analysts_db.write_text("")
    (home.models / "v1").mkdir(parents=True)
    (home.models / ".tmp-v2").mkdir()  # being written: not an output yet
    (home.reports / "2026-01").mkdir(parents=True)
    os.utime(home.analysts_db, (1000, 1000))
    os.utime(home.models / "v1", (2000, 2000))
    os.utime(home.models / ".tmp-v2", (9000, 9000))
    os.utime(home.reports / "2026-01", (500, 500))
    assert inbox.freshness(home, last_change_epoch=1500, last_load_epoch=1000) == {
        "analysts_current": False, "model_current": True, "report_current": False}
    assert inbox.freshness(home, last_change_epoch=1000, last_load_epoch=None)["report_current"]
