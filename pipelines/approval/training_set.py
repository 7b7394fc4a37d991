"""The model's cases: decided cases read from the analysts' snapshot, encoded as feature
rows, and the split by time into training window and holdout (docs/model.md, "Label
and cases", "Validation by time").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines import contract, warehouse
from pipelines.approval import features as F
from pipelines.config import SQL_DIR, Home

MODEL_SQL = SQL_DIR / "model"
HOLDOUT_SHARE = 0.20


@dataclass
class TrainingSet:
    X: np.ndarray
    y: np.ndarray
    applied_on: np.ndarray  # datetime64[D]
    age_band: np.ndarray
    region: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, index: np.ndarray) -> TrainingSet:
        return TrainingSet(self.X[index], self.y[index], self.applied_on[index],
                           self.age_band[index], self.region[index])

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for part in (self.X, self.y, self.applied_on.astype("int64")):
            digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()


def read_training_set(home: Home) -> TrainingSet:
    """Decided cases from the analysts' published snapshot, encoded."""
    con = warehouse.connect_analysts(home)
    try:
        reader = con.sql((MODEL_SQL / "training_set.sql").read_text("utf-8")).arrow()
        frame = pl.from_arrow(reader.read_all())
    finally:
        con.close()
    return training_set_from_frame(frame)


def encode_frame(frame: pl.DataFrame) -> np.ndarray:
    """The bulk twin of features.encode (same codes; tests hold them equal), in polars."""
    exprs = []
    for name in F.FEATURES:
        if name in F.ENUM_FEATURES:
            exprs.append(pl.col(name).cast(pl.String).replace_strict(
                F.enum_codes(name), default=F.unknown_code(name), return_dtype=pl.Float64))
        else:
            exprs.append(pl.col(name).cast(pl.Float64))
    return frame.select(exprs).to_numpy().astype(np.float64)


def training_set_from_frame(frame: pl.DataFrame) -> TrainingSet:
    """Encode, in one fixed order: application day, then row_key (hash of case_id)."""
    frame = frame.sort("applied_on", "row_key")

    def text(name: str) -> np.ndarray:
        # Categorical codes gathered from the few labels: fast for millions of rows.
        column = frame.get_column(name).cast(pl.String).fill_null(contract.UNKNOWN)
        labels = column.unique().sort().to_list()
        codes = column.cast(pl.Enum(labels)).to_physical().to_numpy()
        return np.asarray(labels, dtype=str)[codes]

    return TrainingSet(
        X=encode_frame(frame),
        y=frame.get_column("granted").fill_null(False).cast(pl.Int8).to_numpy(),
        applied_on=frame.get_column("applied_on").to_numpy().astype("datetime64[D]"),
        age_band=text("age_band"),
        region=text("region"),
    )


def time_split(applied_on: np.ndarray, holdout_share: float = HOLDOUT_SHARE) -> np.ndarray:
    """Boolean mask of the holdout: cases applied on or after the day where the most
    recent `holdout_share` of cases begins. A day is never split across the two sides;
    when one day holds too much, the split falls back to case order."""
    n = len(applied_on)
    order = np.argsort(applied_on, kind="stable")
    first = order[int(np.floor(n * (1 - holdout_share)))] if n else 0
    holdout = applied_on >= applied_on[first]
    if 0 < holdout.sum() < n:
        return holdout
    holdout = np.zeros(n, dtype=bool)
    holdout[order[int(np.floor(n * (1 - holdout_share))):]] = True
    return holdout
