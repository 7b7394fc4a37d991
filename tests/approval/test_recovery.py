"""Recovery on generated data with known truth (issue 5, "Done when").

Trains once on 200,000 synthetic cases, then asks the guide about profiles from
another seed (never seen in training) whose features are all known, where the
generator's truth is exactly what a perfect model would say.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines import synth
from pipelines.approval import features as F
from pipelines.approval import guide, registry, train

pytestmark = pytest.mark.slow

TRAIN_CASES = 200_000
UNSEEN_PROFILES = 3_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory, home_builder):
    make_home, synthetic_frame = home_builder
    home = make_home(tmp_path_factory.mktemp("recovery"), synthetic_frame(TRAIN_CASES, seed=101))
    result = train.train_and_maybe_promote(home)
    return home, result


@pytest.fixture(scope="module")
def unseen(home_builder) -> pl.DataFrame:
    _, synthetic_frame = home_builder
    frame = synthetic_frame(60_000, seed=202)
    frame = frame.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in synth.TRUTH_FEATURES
                                           if c != "requested_months"))
    frame = frame.filter(pl.col("true_probability").is_not_nan())
    return frame.sample(UNSEEN_PROFILES, seed=3)


def test_holdout_ece_at_most_002(trained):
    _, result = trained
    chosen = result["metrics"]["candidates"][result["chosen"]]
    assert result["promoted"]
    assert chosen["metrics"]["overall"]["cases"] > 30_000
    print(f"chosen {result['chosen']}, holdout ECE {chosen['metrics']['overall']['ece']:.4f}")
    assert chosen["metrics"]["overall"]["ece"] <= 0.02


def test_guide_recovers_true_probabilities(trained, unseen):
    home, _ = trained
    version, bundle, _ = registry.load_current(home)
    X = F.encode({c: unseen.get_column(c).to_list() for c in F.FEATURES})
    estimated = bundle["model"].predict_proba(X)[:, 1]
    truth = unseen.get_column("true_probability").to_numpy()
    mad = float(np.mean(np.abs(estimated - truth)))
    print(f"mean |guide - truth| over {len(truth)} unseen profiles: {mad:.4f}")
    assert mad <= 0.03
    # The batch above is what the guide answers, profile by profile.
    for row in unseen.head(5).iter_rows(named=True):
        answer = guide.expectations(home, {c: row[c] for c in F.FEATURES})
        first = answer["routes"][0]
        assert answer["model_version"] == version
        assert first["route"] == row["route"]
        expected = bundle["model"].predict_proba(F.encode_profile(row))[0, 1]
        assert first["probability"] == pytest.approx(expected, abs=1e-4)
        assert abs(first["probability"] - row["true_probability"]) < 0.15
