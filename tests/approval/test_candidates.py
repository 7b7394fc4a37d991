"""The candidates fit on the columns kept (features with no information left out)."""

import numpy as np
import pytest

from pipelines.approval import candidates
from pipelines.approval import features as F


def test_candidates_fit_without_the_dropped_columns():
    rng = np.random.default_rng(1)
    n = 400
    X = F.encode({"route": rng.choice(["settlement", "deferral"], n).tolist(),
                  "product": ["cash_loan"] * n, "overdue_days": [None] * n,
                  "prior_overdues_12m": rng.integers(0, 5, n).tolist()})
    y = (rng.random(n) < 0.3 + 0.1 * X[:, F.FEATURES.index("prior_overdues_12m")]).astype(int)
    kept = F.kept_index(F.uninformative(X))
    for model in (candidates.make_logistic(kept), candidates.make_boosting(n, kept)):
        p = model.fit(X, y).predict_proba(X)[:, 1]
        assert 0 < p.min() <= p.max() < 1
    with pytest.raises(ValueError, match="window shape"):  # why the columns are left out
        candidates.make_boosting(n).fit(X, y)
