"""Deployments and `relief serve` (a real Prefect server on loopback: test_serve_*)."""

from __future__ import annotations

import socket

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
