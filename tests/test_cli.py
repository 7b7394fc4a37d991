"""The `relief` command's contract with users (CLI.md): exit codes and plain errors."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines import cli

# Every command with values it cannot accept: each must exit 2 with a one-line message.
BAD_VALUES = [
    ["guide", "--route", "forgiveness", "--product", "credit_card"],
    ["guide", "--route", "installment", "--product", "credit_card", "--overdue-days", "-5"],
    ["guide", "--route", "installment", "--product", "spaceship"],
    ["guide", "--route", "installment", "--product", "credit_card", "--outstanding-amount", "lots"],
    ["guide", "--route", "installment", "--product", "credit_card", "--requested-months", "99"],
    ["guide", "--route", "installment", "--product", "credit_card", "--requested-months", "2.5"],
    ["guide", "--route", "installment", "--product", "credit_card", "--doc-income-proof", "maybe"],
    ["guide", "--route", "installment", "--product", "credit_card", "--channel", "pigeon"],
    ["guide", "--route", "installment", "--product", "credit_card", "--lang", "fr"],
    ["guide", "--product", "credit_card"],
    ["report", "--period", "2026-13"],
    ["report", "--period", "last month"],
    ["report", "--lang", "fr"],
    ["stats", "--by", "colour"],
    ["stats", "--month", "2026-13"],
    ["synth", "--cases", "-5"],
    ["synth", "--cases", "many"],
    ["synth", "--cases", "10", "--seed", "-1"],
    ["synth", "--cases", "10", "--lang", "fr"],
    ["synth", "--cases", "10", "--out", "cases.xlsx"],
    ["synth", "--cases", "10", "--truth", "truth.txt"],
    ["run", "--cases", "0"],
    ["run", "--task-runner", "threads"],
    ["ingest", "--source", "excel", "somefile.csv"],
    ["sql", "select 1", "--format", "xml"],
    ["train", "--force", "yes"],
    ["serve", "--port", "0"],
    ["serve", "--port", "http"],
    ["serve", "--no-such-option"],
    ["report", "--no-such-option"],
]


def run(argv: list[str], capsys) -> tuple[int, str]:
    """(exit status, stderr) of `relief ARGV`; any exception escaping is a traceback."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv", BAD_VALUES, ids=lambda a: " ".join(a))
def test_a_value_a_command_cannot_accept_exits_2_with_one_plain_line(argv, capsys, tmp_path):
    code, err = run(["--home", str(tmp_path)] + argv, capsys)
    assert code == 2, err
    assert "Traceback" not in err
    message = [line for line in err.splitlines() if "error" in line]
    assert len(message) == 1, err


def test_the_guide_names_what_it_refused(capsys, tmp_path):
    _, err = run(["--home", str(tmp_path), "guide", "--route", "forgiveness",
                  "--product", "credit_card"], capsys)
    assert "route must be one of installment" in err
    _, err = run(["--home", str(tmp_path), "guide", "--route", "installment",
                  "--product", "credit_card", "--overdue-days", "-5"], capsys)
    assert "overdue_days must be at least 0" in err


def test_guide_help_lists_values_with_chinese_labels_and_units(capsys):
    with pytest.raises(SystemExit):
        cli.main(["guide", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for needle in ("revolving_credit (花呗)", "installment (分期还款)", "yuan", "days", "months",
                   "true or false (是/否)", "1 to 60"):
        assert needle in text


def test_an_unexpected_failure_is_one_line_not_a_traceback(capsys, tmp_path, monkeypatch):
    def broken(args, home):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(cli, "cmd_train", broken)
    code, err = run(["--home", str(tmp_path), "train"], capsys)
    assert code == 1 and "Traceback" not in err
    assert err.strip() == ("relief train: failed: ZeroDivisionError: division by zero "
                           "(RELIEF_TRACEBACK=1 shows where)")


def test_a_guide_without_a_model_exits_1_in_one_line(capsys, tmp_path):
    code, err = run(["--home", str(tmp_path), "guide", "--route", "installment",
                     "--product", "credit_card"], capsys)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_synth_writes_to_the_inbox_by_default_and_its_updates_beside(capsys, tmp_path):
    home = tmp_path / "home"
    truth = tmp_path / "t.csv"
    code, err = run(["--home", str(home), "synth", "--cases", "1000", "--seed", "9",
                     "--truth", str(truth)], capsys)
    assert code == 0, err
    cases = home / "data" / "inbox" / "synthetic-seed9-1000.csv"
    assert cases.is_file()
    frame = pl.read_csv(truth)
    assert frame.columns == ["case_id", "true_probability"] and frame.height == 1_000
    assert frame["true_probability"].is_between(0, 1).all()
    code, err = run(["--home", str(home), "synth", "--updates-of", str(cases), "--json"], capsys)
    assert code == 0, err
    assert (home / "data" / "inbox" / "synthetic-seed9-1000-update.csv").is_file()
    code, err = run(["--home", str(home), "synth", "--updates-of", str(cases), "--truth",
                     str(tmp_path / "t2.csv")], capsys)
    assert code == 1 and "truth" in err and "Traceback" not in err
    assert not (tmp_path / "t2.csv").exists()
