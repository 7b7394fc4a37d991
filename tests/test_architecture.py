"""docs/architecture.md names every module of pipelines/ and every folder of sql/, and the
imports it allows are the imports the code makes (datasette style: the docs are tested)."""

from __future__ import annotations

import ast
import re

from pipelines.config import REPO_ROOT, SQL_DIR

ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
PACKAGE = REPO_ROOT / "pipelines"


def documented() -> tuple[dict[str, tuple[int, set[str]]], set[str]]:
    """({module: (group number, modules it may import)}, {sql folder})."""
    modules, folders, group = {}, set(), 0
    for line in ARCHITECTURE.read_text("utf-8").splitlines():
        if line.startswith("## "):
            group += 1
        row = re.match(r"^\| `(pipelines/[\w/]+\.py)` \|.*\| ([^|]+) \|$", line)
        if row:
            allowed = {name.strip() for name in row.group(2).split(",")} - {"none"}
            modules[dotted(row.group(1))] = (group, allowed)
        folder = re.match(r"^\| `sql/(\w+)/` \|", line)
        if folder:
            folders.add(folder.group(1))
    return modules, folders


def dotted(path: str) -> str:
    """pipelines/approval/guide.py -> approval.guide; a package's __init__ -> its name."""
    parts = path.removeprefix("pipelines/").removesuffix(".py").split("/")
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return name or "pipelines"


def imports(path) -> set[str]:
    """The relief modules a file imports (at the top or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
            base = node.module.removeprefix("pipelines").lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}".lstrip(".")
                is_module = ((PACKAGE / candidate.replace(".", "/")).with_suffix(".py").exists()
                             or (PACKAGE / candidate.replace(".", "/")).is_dir())
                found.add(candidate if is_module else (base or "pipelines"))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("pipelines.") for a in node.names
                      if a.name.startswith("pipelines.")}
    return found - {"pipelines"}


def test_every_module_and_sql_folder_is_documented_and_nothing_else():
    modules, folders = documented()
    actual = {dotted(str(p.relative_to(REPO_ROOT))) for p in PACKAGE.rglob("*.py")
              if "sql" not in p.relative_to(PACKAGE).parts}
    assert set(modules) == actual
    assert folders == {p.name for p in SQL_DIR.iterdir() if p.is_dir() and any(p.glob("*.sql"))}


def test_modules_import_only_what_their_row_allows_and_never_a_later_group():
    modules, _ = documented()
    for path in PACKAGE.rglob("*.py"):
        if "sql" in path.relative_to(PACKAGE).parts:
            continue
        name = dotted(str(path.relative_to(REPO_ROOT)))
        group, allowed = modules[name]
        made = imports(path) - {name}
        assert made <= allowed, f"{name} imports {sorted(made - allowed)}, not in its row"
        assert allowed <= made, f"{name}'s row names {sorted(allowed - made)}, not imported"
        later = {m for m in made if modules[m][0] > group}
        assert not later, f"{name} imports {sorted(later)} from a later group"


def test_every_package_of_pipelines_is_installed():
    import tomllib

    declared = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
                   ["tool"]["setuptools"]["packages"])
    packages = {"pipelines." + ".".join(p.parent.relative_to(PACKAGE).parts)
                for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE}
    assert packages | {"pipelines"} <= declared
