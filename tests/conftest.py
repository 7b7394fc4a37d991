"""Shared fixtures. Flow tests share one Prefect test server for the whole session
(starting one costs seconds); unit tests never start Prefect."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect API for every flow test, with its own PREFECT_HOME."""
    prefect_home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(prefect_home)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def home(tmp_path):
    from pipelines.config import Home

    return Home.resolve(tmp_path / "home")
