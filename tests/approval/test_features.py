import numpy as np
import polars as pl

from pipelines import contract
from pipelines.approval import features as F
from pipelines.approval import train


def test_no_post_decision_column_is_a_feature():
    assert not [n for n in F.FEATURES if contract.BY_NAME[n].post_decision]
    assert "age_band" not in F.FEATURES and "region" not in F.FEATURES


def test_unknown_is_its_own_code_or_nan_never_a_filled_value():
    X = F.encode({"route": ["settlement", None], "product": ["cash_loan", "nonsense"],
                  "doc_income_proof": [True, None], "overdue_days": [0, None]})
    route, product = F.FEATURES.index("route"), F.FEATURES.index("product")
    assert X[0, route] == list(contract.ROUTES).index("settlement")
    assert X[1, route] == F.unknown_code("route")
    assert X[1, product] == F.unknown_code("product")
    assert X[0, F.FEATURES.index("doc_income_proof")] == 1.0
    assert np.isnan(X[1, F.FEATURES.index("doc_income_proof")])
    assert X[0, F.FEATURES.index("overdue_days")] == 0.0
    assert np.isnan(X[1, F.FEATURES.index("overdue_days")])
    assert np.isnan(X[:, F.FEATURES.index("channel")]).sum() == 0  # enum unknown -> code
    assert (X[:, F.FEATURES.index("channel")] == F.unknown_code("channel")).all()


def test_bulk_and_profile_encodings_agree(home_builder):
    _, synthetic_frame = home_builder
    frame = synthetic_frame(2_000, seed=5)
    bulk = train.encode_frame(frame)
    one_by_one = np.vstack([F.encode_profile(r) for r in frame.head(50).iter_rows(named=True)])
    columns = F.encode({c: frame.get_column(c).to_list() for c in F.FEATURES})
    assert np.array_equal(bulk[:50], one_by_one, equal_nan=True)
    assert np.array_equal(bulk, columns, equal_nan=True)


def test_route_interactions_give_each_route_its_own_copy():
    X = np.array([[1, 0, 5.0, 7.0], [0, 1, 2.0, 3.0]])
    out = F.RouteInteractions(n_routes=2, n_interacting=1).fit(X).transform(X)
    assert out.tolist() == [[1, 0, 5, 7, 5, 0], [0, 1, 2, 3, 0, 2]]


def test_time_split_holds_out_the_most_recent_fifth_without_splitting_a_day():
    days = np.repeat(np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-11")), 10)
    holdout = train.time_split(days)
    assert holdout.sum() == 20
    assert days[holdout].min() > days[~holdout].max()
    frame = pl.DataFrame({"d": days})
    assert frame.height == 100
