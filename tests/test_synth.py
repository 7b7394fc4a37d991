"""The synthetic generator: determinism, the contract's formats, and recovery of
the documented mechanism (docs/synthetic-data.md) from the generated data."""

from __future__ import annotations

import gzip
import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines import contract, synth

CASES = 100_000
SEED = 20250101
GRANTED = ("approved", "partial")
DIRECT_CHANNELS = ("app", "hotline", "online_chat", "in_person")


@pytest.fixture(scope="module")
def cases() -> pl.DataFrame:
    return pl.concat(list(synth.generate(CASES, SEED)))


@pytest.fixture(scope="module")
def decided(cases: pl.DataFrame) -> pl.DataFrame:
    return cases.filter(pl.col("outcome").is_in(contract.DECIDED_OUTCOMES)).with_columns(
        granted=pl.col("outcome").is_in(GRANTED))


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def rate_difference(frame: pl.DataFrame, first: pl.Expr, second: pl.Expr) -> tuple[float, float]:
    """(rate in first - rate in second, z statistic) of `granted`."""
    a = frame.filter(first).get_column("granted")
    b = frame.filter(second).get_column("granted")
    pa, pb = a.mean(), b.mean()
    se = math.sqrt(pa * (1 - pa) / a.len() + pb * (1 - pb) / b.len())
    return pa - pb, (pa - pb) / se


# --- determinism and formats -------------------------------------------------------------


@pytest.mark.parametrize("name", ["cases.csv", "cases.parquet", "cases.csv.gz"])
def test_same_seed_writes_same_bytes(tmp_path: Path, name: str) -> None:
    first = synth.write_cases(tmp_path / "a" / name, 20_000, 7, truth=tmp_path / "a" / "t.csv")
    second = synth.write_cases(tmp_path / "b" / name, 20_000, 7, truth=tmp_path / "b" / "t.csv")
    other = synth.write_cases(tmp_path / "c" / name, 20_000, 8)
    for label in ("cases", "truth"):
        assert Path(first[label]).read_bytes() == Path(second[label]).read_bytes()
    assert Path(first["cases"]).read_bytes() != Path(other["cases"]).read_bytes()
    assert not list(tmp_path.rglob("*.partial"))


def test_rows_depend_on_seed_and_index_only() -> None:
    small_chunks = pl.concat(list(synth.generate(60_000, 3, chunk_rows=10_000)))
    big_chunks = pl.concat(list(synth.generate(60_000, 3, chunk_rows=500_000)))
    prefix = pl.concat(list(synth.generate(20_001, 3)))
    assert small_chunks.equals(big_chunks)
    assert prefix.equals(big_chunks.head(20_001))


def test_chunks_are_whole_blocks() -> None:
    heights = [f.height for f in synth.generate(3 * synth.BLOCK_ROWS + 5, 1,
                                                chunk_rows=2 * synth.BLOCK_ROWS)]
    assert heights == [2 * synth.BLOCK_ROWS, synth.BLOCK_ROWS + 5]


def test_zh_file_is_gb18030_with_chinese_headers_and_labels(tmp_path: Path) -> None:
    out = synth.write_cases(tmp_path / "zh.csv", 20_000, 5, lang="zh")["cases"]
    raw = Path(out).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.decode("gb18030").splitlines()
    assert lines[0].split(",") == [c.zh for c in contract.COLUMNS]
    frame = pl.read_csv(raw.decode("gb18030").encode("utf-8"), infer_schema=False)
    zh_of = {c.name: c.zh for c in contract.COLUMNS}
    assert set(frame[zh_of["product"]].unique()) <= {v[0] for v in contract.PRODUCTS.values()}
    assert "花呗" in set(frame[zh_of["product"]])
    assert set(frame[zh_of["outcome"]].unique()) == {v[0] for v in contract.OUTCOMES.values()}
    for name in ("broke_prior_agreement", *synth.DOC_COLUMNS):
        assert set(frame[zh_of[name]].drop_nulls().unique()) == {"是", "否"}
    assert frame[zh_of["applied_on"]].str.contains(r"^\d{4}/\d{2}/\d{2}$").all()
    # the same cases as the English file, only spelled differently
    en = next(synth.generate(20_000, 5))
    assert frame[zh_of["case_id"]].to_list() == en["case_id"].to_list()
    assert frame[zh_of["outcome"]].replace_strict(
        contract.enum_spellings(contract.OUTCOMES)).to_list() == en["outcome"].to_list()


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must end in"):
        synth.write_cases(tmp_path / "cases.xlsx", 10, 1)
    with pytest.raises(ValueError, match="cases"):
        synth.write_cases(tmp_path / "cases.csv", 0, 1)
    with pytest.raises(ValueError, match="seed"):
        synth.write_cases(tmp_path / "cases.csv", 10, -1)
    with pytest.raises(ValueError, match="lang"):
        synth.write_cases(tmp_path / "cases.csv", 10, 1, lang="fr")
    assert not list(tmp_path.iterdir())


# --- the contract's rules -----------------------------------------------------------------


def test_values_follow_the_contract(cases: pl.DataFrame) -> None:
    assert cases.columns == [*contract.COLUMN_NAMES, "true_probability"]
    assert cases["case_id"].str.contains(contract.CASE_ID_PATTERN).all()
    assert cases["case_id"].n_unique() == cases.height
    for column in contract.COLUMNS:
        values = cases[column.name].drop_nulls()
        if column.required:
            assert cases[column.name].null_count() == 0, column.name
        if column.enum is not None:
            assert set(values.unique()) <= set(column.enum), column.name
        if column.minimum is not None:
            assert (values >= column.minimum).all(), column.name
        if column.maximum is not None:
            assert (values <= column.maximum).all(), column.name
    assert cases["applied_on"].is_between(synth.START, synth.AS_OF).all()
    pending = cases.filter(pl.col("outcome") == "pending")
    assert pending["decided_on"].null_count() == pending.height
    with_date = cases.filter(pl.col("decided_on").is_not_null())
    assert (with_date["decided_on"] > with_date["applied_on"]).all()
    assert (with_date["decided_on"] <= synth.AS_OF).all()
    assert set(with_date["outcome"].unique()) == set(contract.DECIDED_OUTCOMES)
    # post-decision columns only where relief was granted, months and waivers only
    # where the granted route has them
    not_granted = cases.filter(~pl.col("outcome").is_in(GRANTED))
    for name in ("granted_route", "granted_months", "waived_amount", "plan_status"):
        assert not_granted[name].null_count() == not_granted.height, name
    granted = cases.filter(pl.col("outcome").is_in(GRANTED))
    assert granted["plan_status"].null_count() == 0
    assert set(granted.filter(pl.col("granted_months").is_not_null())["granted_route"]) == set(
        synth.MONTHS_ROUTES)
    assert set(granted.filter(pl.col("waived_amount").is_not_null())["granted_route"]) == {
        "interest_waiver", "settlement"}
    asked_months = cases.filter(pl.col("requested_months").is_not_null())
    assert set(asked_months["route"].unique()) == set(synth.MONTHS_ROUTES)


def test_decisions_fall_on_working_days(cases: pl.DataFrame) -> None:
    days = cases["decided_on"].drop_nulls().to_numpy().astype("datetime64[D]")
    assert np.is_busday(days, holidays=synth.HOLIDAYS).all()
    # larger balances wait longer: compare the smallest and largest quartile
    timed = cases.filter(pl.col("decided_on").is_not_null() & pl.col("outstanding_amount")
                         .is_not_null()).with_columns(
        wait=(pl.col("decided_on") - pl.col("applied_on")).dt.total_days())
    low, high = timed["outstanding_amount"].quantile(0.25), timed["outstanding_amount"].quantile(0.75)
    assert (timed.filter(pl.col("outstanding_amount") >= high)["wait"].mean()
            > timed.filter(pl.col("outstanding_amount") <= low)["wait"].mean() + 1.0)
    assert 3 <= timed["wait"].median() <= 10


def test_no_digit_run_a_privacy_guard_would_take_for_an_identifier(tmp_path: Path) -> None:
    out = synth.write_cases(tmp_path / "c.csv", 20_000, 98_765_432_109)["cases"]
    text = Path(out).read_text(encoding="utf-8")
    assert "SYN98765432109-00000000" in text
    assert not re.search(r"(?<![A-Za-z0-9])\d{11,}(?![A-Za-z0-9])", text)
    assert "@" not in text


# --- realistic shapes -------------------------------------------------------------------------


def test_unknown_rates_are_between_5_and_15_percent(cases: pl.DataFrame) -> None:
    for name in synth.UNKNOWN_RATE:
        column = cases[name]
        if name == "requested_months":
            column = cases.filter(pl.col("route").is_in(synth.MONTHS_ROUTES))[name]
        share = column.null_count() / column.len()
        assert 0.05 <= share <= 0.15, (name, share)


def test_population_shapes(cases: pl.DataFrame) -> None:
    outcome = cases["outcome"].value_counts(normalize=True)
    share = dict(zip(outcome["outcome"], outcome["proportion"], strict=True))
    assert 0.01 <= share["pending"] <= 0.05
    assert 0.01 <= share["withdrawn"] <= 0.05
    pending = cases.filter(pl.col("outcome") == "pending")["applied_on"]
    assert pending.min() >= date(2026, 4, 1)  # the most recent applications
    products = cases["product"].value_counts(sort=True)["product"].to_list()
    assert products[:2] == ["revolving_credit", "cash_loan"]
    medians = cases.group_by("product").agg(pl.col("outstanding_amount").median())
    median = dict(zip(medians["product"], medians["outstanding_amount"], strict=True))
    assert median["revolving_credit"] < median["cash_loan"] < median["mortgage"]
    assert median["mortgage"] > 10 * median["credit_card"]
    overdue = cases["overdue_days"].drop_nulls()
    assert overdue.mean() > 1.5 * overdue.median()  # skewed to the right
    monthly = cases.group_by(pl.col("applied_on").dt.truncate("1mo").alias("month")).len()
    count = dict(zip(monthly["month"], monthly["len"], strict=True))
    quiet = np.mean([count[date(2025, m, 1)] for m in range(4, 11)])
    assert count[date(2025, 3, 1)] > 1.25 * quiet  # after the Spring Festival
    assert count[date(2026, 3, 1)] > 1.25 * quiet
    assert count[date(2025, 12, 1)] > 1.2 * quiet  # after Double 11
    assert len(count) == 18


def test_granted_routes_and_plan_statuses(decided: pl.DataFrame) -> None:
    granted = decided.filter("granted")
    switched = granted.filter(pl.col("granted_route") != pl.col("route"))
    assert set(switched["granted_route"].unique()) == {"installment"}
    assert (switched["outcome"] == "partial").all()
    asked_suspension = granted.filter(pl.col("route") == "interest_suspension")
    assert 0.3 < (asked_suspension["granted_route"] == "installment").mean() < 0.6
    statuses = set(granted["plan_status"].unique())
    assert statuses == set(contract.PLAN_STATUSES)
    # breaks likelier for riskier profiles
    known = granted.filter(pl.col("plan_status").is_in(["broken", "completed"])).with_columns(
        broken=pl.col("plan_status") == "broken")
    risky = known.filter(pl.col("broke_prior_agreement") & (pl.col("prior_overdues_12m") >= 2))
    safe = known.filter(~pl.col("broke_prior_agreement") & (pl.col("prior_overdues_12m") == 0))
    assert risky["broken"].mean() > safe["broken"].mean() + 0.1


# --- recovery of the truth and of the mechanism ---------------------------------------------


def test_true_probability_of_documented_profiles() -> None:
    reference = {
        "product": "revolving_credit", "route": "installment", "channel": "app",
        "outstanding_amount": 10_000.0, "overdue_days": 0, "prior_overdues_12m": 0,
        "good_history_months": 0, "broke_prior_agreement": False,
        "hardship_reason": "income_drop", "doc_income_proof": False,
        "doc_bank_statement": False, "doc_hardship_evidence": False, "requested_months": 12,
    }
    rows = [
        reference,
        {**reference, "doc_income_proof": True},
        {**reference, "channel": "third_party"},
        {**reference, "route": "interest_suspension", "broke_prior_agreement": True},
        {**reference, "route": "settlement", "overdue_days": 180, "requested_months": None},
        {**reference, "channel": None},
        {**reference, "requested_months": None},
    ]
    p = synth.true_probability(pl.DataFrame(rows))

    def sigmoid(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    assert p[0] == pytest.approx(sigmoid(1.13))
    assert p[1] == pytest.approx(sigmoid(1.13 + 0.35))
    assert p[2] == p[0]
    assert p[3] == pytest.approx(sigmoid(-2.06 - 1.60))
    assert p[4] == pytest.approx(sigmoid(-2.38 + 0.50 * 2))
    assert np.isnan(p[5]) and np.isnan(p[6])


def test_truth_column_is_true_probability_of_the_observed_features(cases: pl.DataFrame) -> None:
    recomputed = synth.true_probability(cases)
    known = ~np.isnan(recomputed)
    assert 0.2 < known.mean() < 0.6
    np.testing.assert_allclose(recomputed[known], cases["true_probability"].to_numpy()[known],
                               rtol=1e-12)


def test_route_approval_rates_recover_the_truth(decided: pl.DataFrame) -> None:
    per_route = decided.group_by("route").agg(
        n=pl.len(), k=pl.col("granted").sum(), truth=pl.col("true_probability").mean())
    truth = {}
    for row in per_route.iter_rows(named=True):
        low, high = wilson(row["k"], row["n"])
        assert low <= row["truth"] <= high, row
        truth[row["route"]] = row["truth"]
    # the documented ranking and ranges of the routes
    assert 0.70 <= truth["installment"] <= 0.80
    assert 0.55 <= truth["deferral"] <= 0.65
    assert 0.35 <= truth["interest_waiver"] <= 0.45
    assert 0.10 <= truth["interest_suspension"] <= 0.15


def test_unknown_values_are_missing_completely_at_random(decided: pl.DataFrame) -> None:
    # Rows with a blanked feature are granted at the rate their truth says.
    for name in ("overdue_days", "broke_prior_agreement", "doc_hardship_evidence"):
        rows = decided.filter(pl.col(name).is_null())
        low, high = wilson(int(rows["granted"].sum()), rows.height, z=3.0)
        assert low <= rows["true_probability"].mean() <= high, name


def test_documented_effects_appear_with_their_sign(decided: pl.DataFrame) -> None:
    col = pl.col
    for name in synth.DOC_COLUMNS:
        diff, z = rate_difference(decided, col(name) == True, col(name) == False)  # noqa: E712
        assert z > 3, name
    # a broken agreement lowers the chance, above all for interest suspension
    suspension = decided.filter(col("route") == "interest_suspension")
    installment = decided.filter(col("route") == "installment")
    _, z = rate_difference(suspension, col("broke_prior_agreement"), ~col("broke_prior_agreement"))
    assert z < -3
    assert (log_odds_ratio(suspension, "broke_prior_agreement")
            < log_odds_ratio(installment, "broke_prior_agreement") - 0.5)
    # a long on-time record raises it, above all for interest waivers
    waiver = decided.filter(col("route") == "interest_waiver").with_columns(
        long=col("good_history_months") >= 36)
    _, z = rate_difference(waiver, col("long"), col("good_history_months") <= 6)
    assert z > 3
    installment_long = installment.with_columns(long=col("good_history_months") >= 36)
    assert log_odds_ratio(waiver, "long") > log_odds_ratio(installment_long, "long") + 0.3
    # repeated recent overdues lower it
    _, z = rate_difference(decided, col("prior_overdues_12m") >= 3, col("prior_overdues_12m") == 0)
    assert z < -3
    # very long overdue periods lower it, except for settlement where they raise it
    not_settlement = decided.filter(col("route") != "settlement")
    _, z = rate_difference(not_settlement, col("overdue_days") > 270, col("overdue_days") <= 90)
    assert z < -3
    settlement = decided.filter(col("route") == "settlement")
    _, z = rate_difference(settlement, col("overdue_days") > 365, col("overdue_days") <= 90)
    assert z > 3
    # paid third-party agents do no better than asking directly; regulator complaints do
    _, z = rate_difference(decided, col("channel") == "third_party",
                           col("channel").is_in(DIRECT_CHANNELS))
    assert abs(z) < 3
    _, z = rate_difference(decided, col("channel") == "regulator",
                           col("channel").is_in(DIRECT_CHANNELS))
    assert z > 3
    _, z = rate_difference(decided, col("hardship_reason") == "over_indebted",
                           col("hardship_reason") == "income_drop")
    assert z < -3


def log_odds_ratio(frame: pl.DataFrame, flag: str) -> float:
    rates = [frame.filter(pl.col(flag) == value)["granted"].mean() for value in (True, False)]
    return math.log(rates[0] / (1 - rates[0])) - math.log(rates[1] / (1 - rates[1]))


def mechanism_design(frame: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The documented table as a design matrix: one column per effect in the table."""
    columns: dict[str, np.ndarray] = {}
    route = frame["route"].to_numpy()
    for r in synth.ROUTE_VALUES:
        columns[f"intercept {r}"] = (route == r).astype(float)
    for name, values in (("product", synth.PRODUCT_VALUES), ("channel", synth.CHANNEL_VALUES),
                         ("hardship_reason", synth.HARDSHIP_VALUES)):
        reference = {"product": "revolving_credit", "channel": "app",
                     "hardship_reason": "income_drop"}[name]
        for v in values:
            if v != reference:
                columns[f"{name} {v}"] = (frame[name].to_numpy() == v).astype(float)
    for name in synth.DOC_COLUMNS:
        columns[name] = frame[name].cast(float).to_numpy()
    good = np.minimum(frame["good_history_months"].to_numpy(), 48) / 12
    columns["good_history waiver"] = good * (route == "interest_waiver")
    columns["good_history others"] = good * (route != "interest_waiver")
    broke = frame["broke_prior_agreement"].cast(float).to_numpy()
    columns["broke suspension"] = broke * (route == "interest_suspension")
    columns["broke others"] = broke * (route != "interest_suspension")
    columns["prior_overdues"] = np.minimum(frame["prior_overdues_12m"].to_numpy(), 6)
    units = frame["overdue_days"].to_numpy() / 90
    columns["overdue beyond 90"] = np.clip(units - 1, 0, 4) * (route != "settlement")
    columns["overdue settlement"] = np.minimum(units, 8) * (route == "settlement")
    columns["amount"] = np.log10(np.maximum(frame["outstanding_amount"].to_numpy(), 100) / 1e4)
    months = frame["requested_months"].fill_null(0).to_numpy()
    for r, reference in (("installment", 12), ("deferral", 3), ("interest_suspension", 12)):
        columns[f"months {r}"] = (months - reference) * (route == r)
    return np.column_stack(list(columns.values())), list(columns)


DOCUMENTED = {
    "intercept installment": 1.13, "intercept deferral": 0.26,
    "intercept interest_waiver": -1.33, "intercept interest_suspension": -2.06,
    "intercept settlement": -2.38, "intercept other": -0.94,
    "doc_income_proof": 0.35, "doc_bank_statement": 0.25, "doc_hardship_evidence": 0.45,
    "good_history waiver": 0.45, "good_history others": 0.15,
    "broke suspension": -1.60, "broke others": -0.60, "prior_overdues": -0.18,
    "overdue beyond 90": -0.25, "overdue settlement": 0.50, "amount": -0.20,
    "months installment": -0.02, "months deferral": -0.15, "months interest_suspension": -0.01,
    "product cash_loan": -0.10, "product credit_card": 0.15, "product consumer_loan": -0.20,
    "product mortgage": 0.30, "product student_loan": 0.40, "product vehicle_loan": 0.0,
    "product other": 0.0,
    "channel hotline": 0.0, "channel online_chat": 0.0, "channel in_person": 0.0,
    "channel third_party": 0.0, "channel regulator": 0.40,
    "hardship_reason unemployment": 0.10, "hardship_reason illness": 0.35,
    "hardship_reason business_failure": 0.0, "hardship_reason family_emergency": 0.15,
    "hardship_reason disaster": 0.60, "hardship_reason over_indebted": -0.40,
    "hardship_reason other": -0.10,
}


def logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood logistic regression by Newton steps: (coefficients, standard errors)."""
    beta = np.zeros(x.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ beta))
        hessian = (x * (p * (1 - p))[:, None]).T @ x
        step = np.linalg.solve(hessian, x.T @ (y - p))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return beta, np.sqrt(np.diag(np.linalg.inv(hessian)))


def test_a_logistic_fit_recovers_the_documented_table(decided: pl.DataFrame) -> None:
    known = decided.filter(~np.isnan(synth.true_probability(decided)))
    x, names = mechanism_design(known)
    coefficients, errors = logistic_fit(x, known["granted"].cast(float).to_numpy())
    assert sorted(DOCUMENTED) == sorted(names)
    for name, documented in DOCUMENTED.items():
        i = names.index(name)
        assert abs(coefficients[i] - documented) < 4 * errors[i], (name, coefficients[i], errors[i])
    # the same table drives the generator and the documentation
    assert synth.mechanism_table() in (Path(__file__).parent.parent / "docs" /
                                       "synthetic-data.md").read_text(encoding="utf-8")


# --- update batches ---------------------------------------------------------------------------


def read_csv_text(path: str, encoding: str = "utf-8") -> pl.DataFrame:
    return pl.read_csv(Path(path).read_bytes().decode(encoding).encode("utf-8"),
                       infer_schema=False)


@pytest.mark.parametrize(("name", "lang"), [("early.csv", "en"), ("early.csv.gz", "zh"),
                                            ("early.parquet", "en")])
def test_updates_restate_existing_cases_that_changed(tmp_path: Path, name: str, lang: str) -> None:
    earlier_path = synth.write_cases(tmp_path / name, 30_000, 11, lang=lang)["cases"]
    update_path = synth.write_updates(Path(earlier_path), tmp_path / f"update-{name}", 11)["updates"]
    earlier = next(synth.generate(30_000, 11))
    if name.endswith(".parquet"):
        update = pl.read_parquet(update_path)
    else:
        raw = Path(update_path).read_bytes()
        raw = gzip.decompress(raw) if name.endswith(".gz") else raw
        update = pl.read_csv(raw.decode("gb18030" if lang == "zh" else "utf-8").encode("utf-8"),
                             infer_schema=False)
    if lang == "zh":
        update = update.rename({c.zh: c.name for c in contract.COLUMNS}).with_columns(
            outcome=pl.col("outcome").replace_strict(contract.enum_spellings(contract.OUTCOMES)),
            plan_status=pl.col("plan_status").replace_strict(
                contract.enum_spellings(contract.PLAN_STATUSES), default=None))
    assert update.columns == list(contract.COLUMN_NAMES)
    assert update["case_id"].n_unique() == update.height
    assert set(update["case_id"]) <= set(earlier["case_id"])
    joined = update.select("case_id", "outcome", "plan_status", "decided_on").join(
        earlier.select("case_id", before=pl.col("outcome"), before_plan=pl.col("plan_status")),
        on="case_id")
    assert joined.height == update.height
    # every pending case is now decided (or withdrawn), with a decision date
    was_pending = set(earlier.filter(pl.col("outcome") == "pending")["case_id"])
    restated_pending = joined.filter(pl.col("before") == "pending")
    assert set(restated_pending["case_id"]) == was_pending
    assert not (restated_pending["outcome"] == "pending").any()
    newly_decided = restated_pending.filter(pl.col("outcome").is_in(contract.DECIDED_OUTCOMES))
    assert newly_decided["decided_on"].null_count() == 0
    assert newly_decided.height > 0.8 * len(was_pending)
    # some granted plans moved on from active; nothing goes back to active
    moved = joined.filter(pl.col("before_plan") == "active")
    assert set(moved["plan_status"].unique()) == {"completed", "broken"}
    assert not joined.filter(pl.col("before_plan").is_in(["completed", "broken"])).filter(
        pl.col("plan_status") == "active").height


def test_updates_refuse_a_foreign_file_or_seed(tmp_path: Path) -> None:
    earlier = synth.write_cases(tmp_path / "early.csv", 1_000, 11)["cases"]
    with pytest.raises(ValueError, match="seed 11"):
        synth.write_updates(Path(earlier), tmp_path / "u.csv", 12)
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("case_id,outcome,plan_status\nA1,pending,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a synthetic file"):
        synth.write_updates(foreign, tmp_path / "u.csv", None)
    assert not (tmp_path / "u.csv").exists()
