"""Deployments and `relief serve` (a real Prefect server on loopback: test_serve_*)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import duckdb
import httpx
import pytest

from pipelines import deployments


def test_deployments_carry_the_configured_cron_and_time_zone(home, monkeypatch):
    monkeypatch.setenv("RELIEF_CRON_TRAIN", "15 5 * * 0")
    monkeypatch.setenv("RELIEF_TIMEZONE", "Europe/Berlin")
    by_name = {d.name: d for d in deployments.deployments(home)}
    assert set(by_name) == {"relief-main", "relief-ingest", "relief-train",
                            "relief-report-monthly", "relief-report-quarterly"}
    assert not by_name["relief-main"].schedules  # on demand only
    assert by_name["relief-main"].flow_name == "relief-main"
    train = by_name["relief-train"].schedules[0].schedule
    assert (train.cron, train.timezone) == ("15 5 * * 0", "Europe/Berlin")
    monkeypatch.delenv("RELIEF_TIMEZONE")
    by_name = {d.name: d for d in deployments.deployments(home)}
    ingest = by_name["relief-ingest"].schedules[0].schedule
    assert (ingest.cron, ingest.timezone) == ("0 2 * * *", "Asia/Shanghai")
    assert by_name["relief-report-quarterly"].parameters == {"home_root": str(home.root),
                                                             "kind": "quarter"}


def test_a_taken_port_is_refused_when_asked_for_and_skipped_by_default(monkeypatch):
    told = []
    with socket.socket() as taken:
        taken.bind((deployments.HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(deployments.ServeError, match=f"port {port} .* in use: choose another"):
            deployments.choose_port(port, told.append)
        monkeypatch.setattr(deployments, "DEFAULT_PORT", port)
        chosen = deployments.choose_port(None, told.append)
    assert chosen != port and deployments.port_free(chosen)
    assert told == [f"relief serve: port {port} is in use: using {chosen}"]


def test_serve_against_a_server_that_does_not_answer_says_so(home, capsys):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pipelines import cli

    # As a Prefect setting, so that it wins over any server this test session runs.
    with temporary_settings({PREFECT_API_URL: f"http://{deployments.HOST}:{free_port()}/api"}):
        assert cli.main(["serve", "--home", str(home.root)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("relief serve: the Prefect server at http://127.0.0.1:")
    assert "does not answer: start it, or unset PREFECT_API_URL" in err


# --- relief serve against Prefect's own server, on a free loopback port ------------------

SERVE_TIMEOUT_SECONDS = 900


def free_port() -> int:
    with socket.socket() as s:
        s.bind((deployments.HOST, 0))
        return s.getsockname()[1]


class Serving:
    """`relief serve` as a child process, its stderr collected by a thread."""

    def __init__(self, home, port: int, prefect_home):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PREFECT_API", "RELIEF_TEST_"))}
        env |= {"PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--home", str(home.root),
             "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.reader = threading.Thread(target=lambda: self.err.extend(self.process.stderr),
                                       daemon=True)
        self.reader.start()

    def wait_for(self, text: str, deadline: float) -> None:
        while not any(text in line for line in self.err):
            if self.process.poll() is not None:
                pytest.fail("relief serve ended:\n" + "".join(self.err)[-3000:])
            if time.monotonic() > deadline:
                pytest.fail(f"relief serve never said {text!r}:\n" + "".join(self.err)[-3000:])
            time.sleep(0.5)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.reader.join(timeout=10)
        return code


def poll(get, done, deadline: float, what: str):
    while True:
        value = get()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: last {value!r}")
        time.sleep(1)


@pytest.mark.slow
def test_serve_starts_prefects_server_with_its_ui_runs_relief_main_and_stops_cleanly(
        home, tmp_path):
    port = free_port()
    address = f"http://{deployments.HOST}:{port}"
    deadline = time.monotonic() + SERVE_TIMEOUT_SECONDS
    serving = Serving(home, port, tmp_path / "prefect-home")
    try:
        serving.wait_for("deployments: relief-main/relief-main", deadline)
        assert any(f"the Prefect UI is at {address}" in line for line in serving.err)
        assert httpx.get(f"{address}/api/health").json() is True
        ui = httpx.get(f"{address}/")
        assert ui.status_code == 200 and "<html" in ui.text.lower()  # the UI, not a 404

        # Triggered through the API, as `prefect deployment run relief-main/relief-main` does.
        deployment = poll(lambda: httpx.get(f"{address}/api/deployments/name/relief-main/relief-main"),
                          lambda r: r.status_code == 200, deadline, "the relief-main deployment")
        assert deployment.json()["parameters"] == {"home_root": str(home.root)}
        # Prefect's SQLite-backed server answers 503 while its database is busy (a loaded
        # machine); the request created nothing then, so it is asked again.
        created = poll(
            lambda: httpx.post(f"{address}/api/deployments/{deployment.json()['id']}/create_flow_run",
                               json={"parameters": {"home_root": str(home.root), "cases": 2000,
                                                    "seed": 5}}),
            lambda r: r.status_code != 503, deadline, "the flow run to be created")
        assert created.status_code == 201, created.text
        run_id = created.json()["id"]
        final = poll(lambda: httpx.get(f"{address}/api/flow_runs/{run_id}").json(),
                     lambda r: r["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"),
                     deadline, "the flow run to finish")
        assert final["state_type"] == "COMPLETED", "".join(serving.err)[-3000:]
        artifacts = httpx.post(f"{address}/api/artifacts/filter", json={}).json()
        assert {"relief-route-outcomes", "relief-report-headline"} <= {a["key"] for a in artifacts}
    finally:
        code = serving.stop()
    # The run completed in the home, under the flow run the API started.
    con = duckdb.connect(str(home.analysts_db), read_only=True)
    try:
        assert con.sql("select flow, status, prefect_flow_run_id from runs").fetchall() == [
            ("relief-main", "succeeded", run_id)]
        assert con.sql("select count(*) from cases").fetchall() == [(2000,)]
    finally:
        con.close()
    stderr = "".join(serving.err)
    assert code == 0 and "Traceback" not in stderr, stderr[-3000:]
    assert "relief serve: stopped Prefect's server" in stderr
    with pytest.raises(httpx.ConnectError):  # the server it started is gone
        httpx.get(f"{address}/api/health")
    assert deployments.port_free(port)
