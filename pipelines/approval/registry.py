"""The model registry under home.models: one folder per version, `current` names the promoted one.

models/<version>/model.skops    the calibrated model and its bootstrap refits (skops, never pickle)
models/<version>/scoring.npz    the same models as plain arrays (numpy, no pickle), what the
                                guide reads: checked against model.skops when written
models/<version>/metadata.json  training window, rows, features, library versions,
                                training-data fingerprint, metrics, what the guide compares with
models/<version>/card.md        the model card
models/current                  a text file holding the promoted version's name

A version folder is written under a temporary name and renamed into place, and
`current` is replaced by rename, so a crash never leaves half a version or a
half-written pointer. What goes in the files is written elsewhere: model.skops by
model_file.py (with the types it trusts), scoring.npz by scoring.py, card.md by card.py.
This module is on the guide's import path: keep it lean.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pipelines import warehouse
from pipelines.approval import model_file
from pipelines.approval.card import render_card
from pipelines.approval.scoring import (
    SCORING_TOLERANCE,
    ScoringModel,
    UnsupportedModel,
    check_scoring,
    scoring_arrays,
    scoring_check_rows,
)
from pipelines.config import SQL_DIR, Home
from pipelines.warehouse import fsync_path

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CARD_FILE = "card.md"
SCORING_FILE = "scoring.npz"


class NoModel(RuntimeError):
    """No model has been promoted in this home."""


# --- reading ------------------------------------------------------------------------


def current_version(home: Home) -> str | None:
    try:
        name = home.current_model.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def version_dir(home: Home, version: str) -> Path:
    if not version or "/" in version or version.startswith("."):
        raise ValueError(f"not a model version name: {version!r}")
    return home.models / version


def load_bundle(home: Home, version: str) -> dict:
    """{"model": calibrated classifier, "bootstrap": [refits], "alternative": [the other
    candidates, calibrated]} ("alternative" absent in older versions); only
    model_file.TRUSTED_TYPES are built."""
    return model_file.load(version_dir(home, version) / MODEL_FILE)


def load_metadata(home: Home, version: str) -> dict:
    return json.loads((version_dir(home, version) / METADATA_FILE).read_text("utf-8"))


def load_scoring(home: Home, version: str) -> dict | None:
    """{"model": ScoringModel, "bootstrap": [ScoringModel]} from the version's scoring.npz
    (arrays only: allow_pickle=False); None when the version has none."""
    path = version_dir(home, version) / SCORING_FILE
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        return None
    alternatives = int(arrays["alternative_models"]) if "alternative_models" in arrays else 0
    return {"model": ScoringModel(arrays, "model."),
            "bootstrap": [ScoringModel(arrays, f"bootstrap.{i}.")
                          for i in range(int(arrays["bootstrap_models"]))],
            "alternative": [ScoringModel(arrays, f"alternative.{i}.")
                            for i in range(alternatives)]}


def load_current(home: Home) -> tuple[str, dict, dict]:
    """(version, bundle, metadata) of the promoted model; NoModel when there is none.

    The bundle's models answer predict_proba: from scoring.npz when the version has it
    (fast: arrays only), else the scikit-learn models of model.skops.
    """
    version = current_version(home)
    if version is None:
        raise NoModel(f"no model has been promoted in {home.models}: run `relief train` "
                      "(or `relief run`) to train one")
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"models/current names {version!r} but {version_dir(home, version)} holds "
                      "no model: run `relief train` to train a new one")
    bundle = load_scoring(home, version) or load_bundle(home, version)
    return version, bundle, load_metadata(home, version)


# --- writing ------------------------------------------------------------------------


def new_version_name(fingerprint: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{fingerprint[:8]}"


def save_version(home: Home, bundle: dict, metadata: dict,
                 check_rows: np.ndarray | None = None) -> str:
    """Write a new version folder atomically; returns its name.

    With check_rows (encoded feature rows, e.g. the holdout), the scoring form is written
    too if it reproduces the bundle's probabilities on them (scoring_check_rows) within
    SCORING_TOLERANCE; metadata["scoring_form"] says whether it was and why.
    """
    scoring, metadata = _scoring_form(bundle, check_rows, metadata)
    home.models.mkdir(parents=True, exist_ok=True)
    base = new_version_name(metadata["training_data_fingerprint"])
    version, n = base, 1
    while (home.models / version).exists():
        n += 1
        version = f"{base}-{n}"
    metadata = {**metadata, "version": version}
    tmp = home.models / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        model_file.dump(bundle, tmp / MODEL_FILE)
        if scoring is not None:
            _write_durably(tmp / SCORING_FILE, lambda fh: np.savez(fh, **scoring))
        _write_text(tmp / METADATA_FILE, json.dumps(metadata, indent=2, ensure_ascii=False,
                                                    default=str))
        _write_text(tmp / CARD_FILE, render_card(metadata))
        fsync_path(tmp)
        os.rename(tmp, home.models / version)
        fsync_path(home.models)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return version


def _scoring_form(bundle: dict, check_rows: np.ndarray | None,
                  metadata: dict) -> tuple[dict | None, dict]:
    """(scoring arrays or None, metadata with "scoring_form" saying which and why)."""
    if check_rows is None:
        return None, {**metadata, "scoring_form": {"file": None, "reason": "not requested"}}
    try:
        arrays = scoring_arrays(bundle)
        rows = scoring_check_rows(check_rows)
        difference = check_scoring(bundle, arrays, rows)
    except UnsupportedModel as exc:
        return None, {**metadata, "scoring_form": {"file": None, "reason": f"unsupported: {exc}"}}
    record = {"checked_rows": int(len(rows)), "max_abs_difference": difference,
              "tolerance": SCORING_TOLERANCE}
    if not difference <= SCORING_TOLERANCE:
        return None, {**metadata, "scoring_form": {
            "file": None, "reason": "differs from model.skops beyond the tolerance", **record}}
    return arrays, {**metadata, "scoring_form": {"file": SCORING_FILE, **record}}


def promote(home: Home, version: str) -> None:
    """Point models/current at version: write a temp file, then rename over the old one."""
    if not (version_dir(home, version) / MODEL_FILE).exists():
        raise NoModel(f"no model version {version!r} in {home.models}")
    tmp = home.current_model.with_name(f".current-{os.getpid()}")
    _write_text(tmp, version + "\n")
    os.replace(tmp, home.current_model)
    fsync_path(home.models)


def _write_durably(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """write(file) into path, flushed and fsynced before it is closed."""
    with open(path, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _write_text(path: Path, text: str) -> None:
    _write_durably(path, lambda fh: fh.write(text.encode("utf-8")))


# --- when to retrain, whether to promote, what to keep ----------------------------------

# A run (relief run, the scheduled relief-train) trains a new version when none exists,
# when the decided cases differ from what the newest version was trained on by at least
# RETRAIN_GROWTH of them, or, with any change at all, when the newest version is at least
# RETRAIN_AFTER_DAYS old. `relief train` trains whenever asked. docs/model.md.
RETRAIN_GROWTH = 0.01
RETRAIN_AFTER_DAYS = 7
# Versions kept: the current one, the newest (the retraining rule measures from it) and
# the KEEP_VERSIONS most recent; RELIEF_MODEL_VERSIONS_KEPT overrides.
KEEP_VERSIONS = 5
# Promotion compares the new and the current model on the same holdout: the mean
# per-case log-loss difference with a paired bootstrap interval (PROMOTION_RESAMPLES
# resamples of the holdout cases, PROMOTION_LEVEL coverage).
PROMOTION_RESAMPLES = 1000
PROMOTION_LEVEL = 0.95


def versions(home: Home) -> list[str]:
    """Finished version folders, oldest first (names start with their UTC time stamp)."""
    if not home.models.is_dir():
        return []
    return sorted(p.name for p in home.models.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and (p / METADATA_FILE).exists())


def decided_cases_now(home: Home) -> int:
    """How many decided cases the analysts' database holds (what retrain_due compares)."""
    con = warehouse.connect_analysts(home)
    try:
        sql = (SQL_DIR / "model" / "decided_cases.sql").read_text("utf-8")
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


def retrain_due(home: Home, decided_cases: int, now: datetime | None = None) -> tuple[bool, str]:
    """(whether a run should train, why) by the rule above, from the newest version."""
    found = versions(home)
    if not found:
        return True, "no model has been trained yet"
    newest = found[-1]
    meta = load_metadata(home, newest)
    before = int(meta["rows"]["decided_cases"])
    change = decided_cases - before
    share = abs(change) / before if before else 1.0
    age = (now or datetime.now(UTC)) - datetime.fromisoformat(meta["created_at"])
    counted = f"{change:+d} decided cases ({share:.1%}) since version {newest} was trained"
    if share >= RETRAIN_GROWTH:
        return True, f"{counted}: at least {RETRAIN_GROWTH:.0%}"
    if change and age.days >= RETRAIN_AFTER_DAYS:
        return True, f"{counted}, {age.days} days ago: at least {RETRAIN_AFTER_DAYS} days"
    return False, (f"{counted}: under {RETRAIN_GROWTH:.0%}" + (
        f" and under {RETRAIN_AFTER_DAYS} days ago" if change else "")
        + " (`relief train` trains now)")


def loss_difference(y: np.ndarray, p_new: np.ndarray, p_current: np.ndarray,
                    resamples: int = PROMOTION_RESAMPLES, seed: int = 0) -> dict:
    """Mean per-case log loss of the new model minus the current one's on the same cases,
    with a paired bootstrap interval: {"difference", "low", "high"} (negative: new better)."""
    from pipelines.approval.evaluate import EPS  # training only: off the guide's import path

    def per_case(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, EPS, 1 - EPS)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    d = per_case(np.asarray(p_new, dtype=np.float64)) - per_case(np.asarray(p_current, dtype=np.float64))
    rng = np.random.default_rng(seed)
    means = np.array([d[rng.integers(0, len(d), len(d))].mean() for _ in range(resamples)])
    tail = (1 - PROMOTION_LEVEL) / 2
    return {"difference": float(d.mean()), "low": float(np.quantile(means, tail)),
            "high": float(np.quantile(means, 1 - tail))}


def promotion(current: str | None, new_loss: float, current_loss: float | None,
              difference: dict | None, force: bool = False,
              current_error: str | None = None) -> tuple[bool, str]:
    """(promote?, why in plain words, without the verdict itself). A new model is promoted
    unless it is worse than the current one beyond the bootstrap noise (or when forced)."""
    if current is None:
        return True, "no model was promoted before"
    if current_loss is None or difference is None:
        return True, f"the current model {current} could not be scored ({current_error})"
    measured = (f"holdout log loss {new_loss:.4f} against {current_loss:.4f} for the current "
                f"model {current} on the same cases (difference {difference['difference']:+.4f}, "
                f"{PROMOTION_LEVEL:.0%} bootstrap interval {difference['low']:+.4f} to "
                f"{difference['high']:+.4f})")
    if difference["high"] < 0:
        return True, f"better: {measured}"
    if difference["low"] <= 0:
        return True, f"within noise of the current model: {measured}; the newer data wins"
    if force:
        return True, f"worse beyond noise, but --force was given: {measured}"
    return False, (f"worse beyond noise: {measured}; `relief train --force` promotes it anyway")


def prune(home: Home, keep: int | None = None) -> list[str]:
    """Delete versions beyond the current one, the newest and the `keep` most recent
    (RELIEF_MODEL_VERSIONS_KEPT, default KEEP_VERSIONS). Each is renamed to a hidden name
    first, so nothing ever sees half a version. Returns the versions deleted."""
    keep = int(os.environ.get("RELIEF_MODEL_VERSIONS_KEPT", KEEP_VERSIONS)) if keep is None else keep
    found = versions(home)
    kept = set(found[-keep:] if keep > 0 else []) | set(found[-1:]) | {current_version(home)}
    deleted = []
    for version in found:
        if version in kept:
            continue
        doomed = home.models / f".deleting-{version}"
        os.rename(home.models / version, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        deleted.append(version)
    return deleted
