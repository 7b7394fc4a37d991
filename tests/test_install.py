"""relief finds its own SQL through the installed package, never through a checkout;
it knows its version. (.ci/run also installs a built wheel and uses it from an empty
folder.)"""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import duckdb
import pytest

import pipelines
from pipelines import config, warehouse

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_the_sql_is_found_through_the_package():
    assert config.SQL_DIR == Path(str(resources.files("pipelines.sql")))
    shipped = {p.relative_to(config.SQL_DIR) for p in config.SQL_DIR.rglob("*.sql")}
    in_repo = {p.relative_to(REPO_ROOT / "sql") for p in (REPO_ROOT / "sql").rglob("*.sql")}
    assert shipped == in_repo
    assert {p.parts[0] for p in shipped} >= {"schema", "marts", "model", "report", "load"}


def test_the_build_maps_sql_into_the_package():
    """pyproject carries sql/ (every folder, at any depth) into the distribution as
    pipelines.sql, and ships no package data that does not exist. The built wheel's
    contents are compared with sql/ by .ci/install-check."""
    import tomllib

    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert project["package-dir"] == {"pipelines.sql": "sql"}
    assert "pipelines.sql" in project["packages"]
    assert project["package-data"] == {"pipelines.sql": ["**/*.sql"]}
    for package in project["packages"]:
        folder = REPO_ROOT / project["package-dir"].get(package, package.replace(".", "/"))
        assert (folder / "__init__.py").is_file(), package


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_no_migrations_is_an_error_not_nothing_to_apply(tmp_path, make):
    schema = tmp_path / "schema"
    if make == "empty":
        schema.mkdir()
        (schema / "README").write_text("no sql here")
    con = duckdb.connect()
    with pytest.raises(config.InstallIncomplete, match="no migrations .* reinstall"):
        warehouse.migrate(con, schema)
    con.close()


def test_a_relief_without_its_sql_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    from pipelines import cli

    monkeypatch.setattr(warehouse, "SCHEMA_DIR", tmp_path / "nowhere")
    (tmp_path / "a.csv").write_text("case_id,applied_on,product,route,outcome\n"
                                    "a1,2024-01-03,credit_card,installment,pending\n")
    code = cli.main(["ingest", str(tmp_path / "a.csv"), "--home", str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("relief ingest: no migrations (NNN_name.sql) in ")
    assert len(err.strip().splitlines()) == 1


def test_relief_version_prints_the_package_version():
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "--version"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"relief {pipelines.__version__}"


def test_each_run_records_the_relief_that_did_it(home):
    from pipelines import flows

    opened = flows.check_home.fn(str(home.root), "relief-main", "serial")
    con = duckdb.connect(str(home.warehouse), read_only=True)
    [(version,)] = con.execute("select relief_version from runs where run_id = ?",
                               [opened["run_id"]]).fetchall()
    con.close()
    assert version == pipelines.__version__


def test_nothing_points_outside_the_repository():
    """A clone or an install has no ../shared beside it: README, docs and code link only
    to files of the repository."""
    texts = [REPO_ROOT / "README.md", *(REPO_ROOT / "docs").rglob("*.md"),
             *(REPO_ROOT / "pipelines").rglob("*.py")]
    pointing = [str(p.relative_to(REPO_ROOT)) for p in texts if "../shared" in p.read_text("utf-8")]
    assert pointing == []
