"""The model's cases: the bulk encoding equals the profile encoding; the split by time."""

import numpy as np

from pipelines.approval import features as F
from pipelines.approval import training_set


def test_bulk_and_profile_encodings_agree(home_builder):
    _, synthetic_frame = home_builder
    frame = synthetic_frame(2_000, seed=5)
    bulk = training_set.encode_frame(frame)
    one_by_one = np.vstack([F.encode_profile(r) for r in frame.head(50).iter_rows(named=True)])
    columns = F.encode({c: frame.get_column(c).to_list() for c in F.FEATURES})
    assert np.array_equal(bulk[:50], one_by_one, equal_nan=True)
    assert np.array_equal(bulk, columns, equal_nan=True)


def test_time_split_holds_out_the_most_recent_fifth_without_splitting_a_day():
    days = np.repeat(np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-11")), 10)
    holdout = training_set.time_split(days)
    assert holdout.sum() == 20
    assert days[holdout].min() > days[~holdout].max()
