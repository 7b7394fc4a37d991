"""When a run retrains, how promotion weighs noise, which versions are kept (registry)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from pipelines.approval import registry

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def make_version(home, name: str, decided: int, created: datetime = NOW) -> None:
    folder = home.models / name
    folder.mkdir(parents=True)
    (folder / registry.METADATA_FILE).write_text(json.dumps(
        {"rows": {"decided_cases": decided}, "created_at": created.isoformat()}))


def test_retrain_rule(home):
    assert registry.retrain_due(home, 1000, NOW) == (True, "no model has been trained yet")
    make_version(home, "20260501T000000Z-a", 10_000, NOW - timedelta(days=30))
    make_version(home, "20260531T000000Z-b", 10_000, NOW - timedelta(days=1))
    due, why = registry.retrain_due(home, 10_001, NOW)  # measured from the newest version
    assert not due and why.startswith("+1 decided cases (0.0%) since version 20260531T000000Z-b")
    assert "under 1% and under 7 days ago" in why
    assert registry.retrain_due(home, 10_100, NOW)[0]  # 1% more
    assert registry.retrain_due(home, 9_900, NOW)[0]  # 1% fewer (cases updated)
    assert registry.retrain_due(home, 10_001, NOW + timedelta(days=5, hours=23))[1].endswith(
        "7 days ago (`relief train` trains now)")
    due, why = registry.retrain_due(home, 10_001, NOW + timedelta(days=6, hours=1))
    assert due and "7 days ago: at least 7 days" in why
    assert not registry.retrain_due(home, 10_000, NOW + timedelta(days=30))[0]  # nothing changed


def test_a_tiny_holdout_difference_is_within_noise_and_promoted():
    rng = np.random.default_rng(1)
    y = (rng.random(4000) < 0.6).astype(float)
    p_current = np.clip(0.6 + 0.2 * (y - 0.6) + rng.normal(0, 0.05, 4000), 0.01, 0.99)
    p_new = np.clip(p_current + rng.normal(0, 0.002, 4000), 0.01, 0.99)
    d = registry.loss_difference(y, p_new, p_current)
    assert d["low"] < d["difference"] < d["high"] and d["low"] < 0 < d["high"]
    promoted, why = registry.promotion("v1", 0.5001, 0.5, d)
    assert promoted and why.startswith("within noise of the current model: holdout log loss "
                                       "0.5001 against 0.5000 for the current model v1")
    assert "95% bootstrap interval" in why and "not promoted" not in why


def test_a_clearly_worse_model_is_kept_out_unless_forced():
    rng = np.random.default_rng(2)
    y = (rng.random(4000) < 0.5).astype(float)
    good = np.where(y == 1, 0.8, 0.2)
    d = registry.loss_difference(y, np.full(4000, 0.5), good)
    assert d["low"] > 0
    promoted, why = registry.promotion("v1", 0.69, 0.22, d)
    assert not promoted and why.startswith("worse beyond noise: ")
    assert why.endswith("`relief train --force` promotes it anyway")
    assert registry.promotion("v1", 0.69, 0.22, d, force=True)[0]
    better = registry.loss_difference(y, good, np.full(4000, 0.5))
    assert registry.promotion("v1", 0.22, 0.69, better)[1].startswith("better: ")
    assert registry.promotion(None, 0.5, None, None) == (True, "no model was promoted before")


def test_pruning_keeps_the_current_the_newest_and_the_n_most_recent(home, monkeypatch):
    names = [f"2026050{i}T000000Z-x" for i in range(1, 10)]
    for name in names:
        make_version(home, name, 100)
    (home.models / ".tmp-being-written").mkdir()
    home.current_model.write_text(names[1] + "\n")
    deleted = registry.prune(home, keep=3)
    assert deleted == [names[0], *names[2:6]]
    assert registry.versions(home) == [names[1], *names[6:]]
    assert (home.models / ".tmp-being-written").is_dir()  # not a version yet: untouched
    monkeypatch.setenv("RELIEF_MODEL_VERSIONS_KEPT", "0")
    assert registry.prune(home) == names[6:8]  # the newest stays: the retraining rule reads it
    assert registry.versions(home) == [names[1], names[8]]
    assert not [p for p in home.models.iterdir() if p.name.startswith(".deleting-")]
