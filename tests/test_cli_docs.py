"""docs/cli.md against the `relief` parser, both ways: every command has its section,
every option of every command is in its section's table (and every option there still
exists), every command that prints --json shows its shape."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pipelines import cli

CLI_DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
COMMON = {"--help", "--home", "--json"}  # documented once, under "Every command"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def parser_options(parser: argparse.ArgumentParser) -> set[str]:
    """Long option names and positional metavars (PATH, QUERY) of one command."""
    found = set()
    for action in parser._actions:
        if action.option_strings:
            found |= {o for o in action.option_strings if o.startswith("--")} - COMMON
        else:
            found.add(action.metavar or action.dest.upper())
    return found


def sections() -> dict[str, str]:
    """`## \\`relief NAME\\`` heading -> the text under it."""
    parts = re.split(r"^## ", CLI_DOC.read_text("utf-8"), flags=re.M)
    out = {}
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        named = re.fullmatch(r"`relief (\w+)`", heading.strip())
        if named:
            out[named.group(1)] = body
    return out


def documented_options(body: str) -> set[str]:
    """The first cell of each table row: `--option` or a positional such as `PATH`."""
    return set(re.findall(r"^\| `(--[\w-]+|[A-Z]+)` \|", body, flags=re.M))


def test_every_command_has_a_section():
    assert set(subcommands()) == set(sections())


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_option_is_documented_and_every_documented_option_exists(name):
    in_parser = parser_options(subcommands()[name])
    in_doc = documented_options(sections()[name])
    assert in_parser - in_doc == set(), f"document in docs/cli.md under relief {name}"
    assert in_doc - in_parser == set(), f"docs/cli.md lists options relief {name} lacks"


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_json_output_has_its_shape(name):
    takes_json = any("--json" in a.option_strings for a in subcommands()[name]._actions)
    shows_shape = re.search(r"^`--json`[^\n]*:", sections()[name], flags=re.M) is not None
    assert shows_shape == takes_json


def test_the_common_options_and_exit_statuses_are_documented():
    text = CLI_DOC.read_text("utf-8").split("## `relief", 1)[0]
    top = cli.build_parser()
    for option in {o for a in top._actions for o in a.option_strings if o.startswith("--")}:
        assert f"| `{option}" in text, option
    for option in COMMON:
        assert f"`{option}" in text, option
    for status in ("0", "1", "2"):
        assert re.search(rf"^\| `{status}` \|", text, flags=re.M), status
