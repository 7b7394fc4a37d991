"""Deployments of the flows, `relief serve`, and the operations entry point
(`python -m pipelines.deployments ingest|train|report|deploy`): docs/operations.md.

`relief serve` with PREFECT_API_URL set (environment or Prefect profile) serves
against that server. Without one it starts Prefect's own server (`prefect server
start`, with its UI) on 127.0.0.1 at DEFAULT_PORT (or --port), keeps it for as long
as it serves, and stops it when serving stops (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pipelines import schedules
from pipelines.config import Home
from pipelines.privacy import error_line

DEFAULT_PORT = 4200  # Prefect's own default for `prefect server start`
PORTS_TRIED = 20  # when the default port is taken: the next free one of 4201-4219
SERVER_START_SECONDS = float(os.environ.get("RELIEF_SERVER_START_SECONDS", "600"))
SERVER_STOP_SECONDS = 30
HOST = "127.0.0.1"


class ServeError(RuntimeError):
    """`relief serve` cannot start (a port taken, a server that does not come up)."""


class Stopped(Exception):
    """SIGTERM arrived: stop serving as Ctrl-C does."""


def deployments(home: Home) -> list:
    """Every deployment with its schedule; relief-main has none (on demand)."""
    from prefect.schedules import Cron

    from pipelines import flows

    def scheduled(flow_, name: str, **parameters):
        return flow_.to_deployment(
            name=name, schedule=Cron(schedules.cron(name), timezone=schedules.timezone()),
            parameters={"home_root": str(home.root), **parameters},
            tags=["relief"], concurrency_limit=1)

    return [
        flows.main_job.to_deployment(name="relief-main", parameters={"home_root": str(home.root)},
                                     tags=["relief"], concurrency_limit=1),
        scheduled(flows.ingest_job, "relief-ingest"),
        scheduled(flows.train_job, "relief-train"),
        scheduled(flows.report_job, "relief-report-monthly", kind="month"),
        scheduled(flows.report_job, "relief-report-quarterly", kind="quarter"),
    ]


# --- relief serve ---------------------------------------------------------------------


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def serve(home: Home, port: int | None = None, tell: Callable[[str], None] = say) -> None:
    """Serve every deployment until Ctrl-C or SIGTERM; see the module doc."""
    from prefect.settings import get_current_settings

    from pipelines import prefect_settings

    with _sigterm_stops(), prefect_settings.applied():
        url = get_current_settings().api.url
        if url:
            if not answers(url):
                raise ServeError(f"the Prefect server at {url} (PREFECT_API_URL) does not answer: "
                                 "start it, or unset PREFECT_API_URL to let relief serve start one")
            tell(f"relief serve: serving {home.root} against the Prefect server at {url}")
            _serve_until_stopped(home, tell)
            return
        server = LocalServer(choose_port(port, tell), home.logs / "prefect-server.log")
        tell(f"relief serve: starting Prefect's server on {server.address} (its database "
             f"under PREFECT_HOME, {get_current_settings().home}); waiting for it to answer")
        try:
            server.start(tell)
            with prefect_settings.applied(PREFECT_API_URL=server.api_url):
                tell(f"relief serve: the Prefect UI is at {server.address}")
                tell(f"  from another terminal: PREFECT_API_URL={server.api_url} "
                     "prefect deployment run relief-main/relief-main")
                _serve_until_stopped(home, tell)
        finally:
            server.stop()
            tell("relief serve: stopped Prefect's server")


def answers(api_url: str, timeout: float = 10) -> bool:
    """Whether a Prefect API answers its health check."""
    import httpx

    try:
        return httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _serve_until_stopped(home: Home, tell: Callable[[str], None]) -> None:
    from prefect import serve as prefect_serve

    tell(f"relief serve: running the schedules for {home.root} (time zone "
         f"{schedules.timezone()}) until stopped (Ctrl-C)")
    served = deployments(home)
    tell("  deployments: " + ", ".join(f"{d.flow_name}/{d.name}" for d in served))
    with contextlib.suppress(KeyboardInterrupt, Stopped):
        prefect_serve(*served, print_starting_message=False)
    tell("relief serve: stopped serving")


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM raises Stopped (Prefect's runner installs its own graceful handler while
    it runs); the previous handler is put back after."""
    def stop(signum, frame):
        raise Stopped

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    except Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def port_free(port: int, host: str = HOST) -> bool:
    """Nothing listens on the port (closed connections waiting out TIME_WAIT do not
    count: Prefect's server binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(requested: int | None, tell: Callable[[str], None] = say) -> int:
    """The port asked for (refused when taken), or DEFAULT_PORT, or the next free one."""
    if requested is not None:
        if not port_free(requested):
            raise ServeError(f"port {requested} on {HOST} is in use: choose another with --port")
        return requested
    for port in range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED):
        if port_free(port):
            if port != DEFAULT_PORT:
                tell(f"relief serve: port {DEFAULT_PORT} is in use: using {port}")
            return port
    raise ServeError(f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORTS_TRIED - 1} on {HOST} are all "
                     "in use: choose one with --port")


class LocalServer:
    """Prefect's own server (`prefect server start`, API and UI) as a child process in a
    session of its own, its output in a log file; stop() ends that session."""

    def __init__(self, port: int, log_path: Path):
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.address}/api"

    def start(self, tell: Callable[[str], None] = say,
              timeout: float = SERVER_START_SECONDS) -> None:
        import httpx
        from prefect.settings import get_current_settings

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True)}
        env.pop("PREFECT_API_URL", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", HOST,
                 "--port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        next_note = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise ServeError(f"Prefect's server exited with status {self.process.returncode} "
                                 f"before answering; its log: {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise ServeError(f"Prefect's server did not answer within {timeout:.0f} s "
                                 f"(RELIEF_SERVER_START_SECONDS); its log: {self.log_path}")
            if time.monotonic() > next_note:
                tell(f"relief serve: still waiting for Prefect's server on {self.address}")
                next_note = time.monotonic() + 30
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- the production path: deployments registered with a work pool ------------------------

FLOW_FUNCTIONS = {"relief-main": "main_job", "relief-ingest": "ingest_job",
                  "relief-train": "train_job", "relief-report": "report_job"}


def deploy_all(home: Home, work_pool: str) -> list:
    """Register every deployment with a server's work pool (production path, operations.md)."""
    from prefect import flow

    from pipelines.config import REPO_ROOT

    ids = []
    for deployment in deployments(home):
        entrypoint = f"pipelines/flows.py:{FLOW_FUNCTIONS[deployment.flow_name]}"
        remote = flow.from_source(source=str(REPO_ROOT), entrypoint=entrypoint)
        ids.append(remote.deploy(
            name=deployment.name, work_pool_name=work_pool, schedules=deployment.schedules,
            parameters=deployment.parameters, tags=deployment.tags,
            concurrency_limit=1, build=False, push=False, print_next_steps=False))
    return ids


def main(argv: list[str] | None = None) -> int:
    """Run one flow now (its summary as JSON on stdout), or deploy them all."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m pipelines.deployments",
                                     description="run one relief flow now, or deploy them all")
    parser.add_argument("what", choices=["ingest", "train", "report", "deploy"])
    parser.add_argument("--home", default=None)
    parser.add_argument("--period", default=None, help="report: YYYY-MM or YYYY-Qn")
    parser.add_argument("--work-pool", default="relief", help="deploy: the work pool's name")
    args = parser.parse_args(argv)
    home = Home.resolve(args.home)

    from pipelines import flows, prefect_settings

    try:
        with prefect_settings.applied():
            if args.what == "deploy":
                print(json.dumps([str(i) for i in deploy_all(home, args.work_pool)]))
                return 0
            job_flow = {"ingest": flows.ingest_job, "train": flows.train_job,
                        "report": flows.report_job}[args.what]
            kwargs = {"period": args.period} if args.what == "report" else {}
            summary = job_flow(str(home.root), **kwargs)
    except Exception as exc:
        print(f"relief {args.what} failed: {error_line(exc, with_type=True)}", file=sys.stderr)
        return 1
    print(json.dumps(summary, default=str))
    return 1 if any(r["status"] == "refused" for r in summary["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
