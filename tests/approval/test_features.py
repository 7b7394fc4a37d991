import numpy as np

from pipelines import contract
from pipelines.approval import features as F


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


def test_route_interactions_give_each_route_its_own_copy():
    X = np.array([[1, 0, 5.0, 7.0], [0, 1, 2.0, 3.0]])
    out = F.RouteInteractions(n_routes=2, n_interacting=1).fit(X).transform(X)
    assert out.tolist() == [[1, 0, 5, 7, 5, 0], [0, 1, 2, 3, 0, 2]]


def test_uninformative_features_are_all_unknown_or_one_value():
    X = F.encode({"route": ["settlement", "deferral", "other"], "product": ["cash_loan"] * 3,
                  "doc_income_proof": [True, None, None], "overdue_days": [None] * 3,
                  "prior_overdues_12m": [2, 2, 2], "good_history_months": [3, 3, None]})
    dropped = F.uninformative(X)
    assert dropped["product"] == "the same value (cash_loan) in every training case"
    assert dropped["channel"] == "the same value (unknown) in every training case"
    assert dropped["overdue_days"] == "unknown in every training case"
    assert dropped["prior_overdues_12m"] == "the same value (2) in every training case"
    # Known in some cases and unknown in others carries information: kept.
    assert "doc_income_proof" not in dropped and "good_history_months" not in dropped
    assert "route" not in dropped
    assert F.kept_index(dropped) == tuple(
        j for j, n in enumerate(F.FEATURES) if n in ("route", "doc_income_proof",
                                                     "good_history_months"))
