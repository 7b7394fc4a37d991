"""The home layout: paths, nothing else.

Every command takes --home DIR (or RELIEF_HOME; default: the current directory).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


class InstallIncomplete(RuntimeError):
    """relief's own SQL did not come with this installation."""


def _installed_sql_dir() -> Path:
    """The SQL shipped with relief: the package pipelines.sql (the repo's sql/, mapped
    by pyproject.toml), wherever relief is installed. A relief imported without its
    SQL gets a path that does not exist, and warehouse.migrations() raises InstallIncomplete."""
    try:
        return Path(str(resources.files("pipelines.sql")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent / "sql"


# The folder holding the pipelines package: a checkout or site-packages (Prefect's
# deployment source in deployments.deploy_all); nothing is read from it by path.
REPO_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = _installed_sql_dir()
SCHEMA_DIR = SQL_DIR / "schema"
MARTS_DIR = SQL_DIR / "marts"


def private_temp_dir() -> Path:
    """This user's private scratch folder outside any home (mode 0700): DuckDB's spills
    and a zip archive's entry while it is read. Raw text may hold personal data until
    validation has masked it, so it never goes under the home."""
    folder = Path(tempfile.gettempdir()) / f"relief-spill-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike | None = None) -> Home:
        chosen = home or os.environ.get("RELIEF_HOME") or os.getcwd()
        return cls(Path(chosen).expanduser().resolve())

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def inbox(self) -> Path:
        return self.data / "inbox"

    @property
    def archive(self) -> Path:
        return self.data / "archive"

    @property
    def staging(self) -> Path:
        """Private scratch space for prepared batches (never holds personal data)."""
        return self.data / "staging"

    @property
    def warehouse(self) -> Path:
        """The pipeline's own working database; analysts never open this one."""
        return self.data / "warehouse.duckdb"

    @property
    def analysts_db(self) -> Path:
        """The analysts' copy, replaced atomically by publish()."""
        return self.data / "relief.duckdb"

    @property
    def writer_lock(self) -> Path:
        return self.data / "writer.lock"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def current_model(self) -> Path:
        """A text file naming the promoted model version."""
        return self.models / "current"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        return self.data / "logs"
