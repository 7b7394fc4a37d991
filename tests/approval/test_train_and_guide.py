"""Training, the registry and the guide on small synthetic homes (one training per module)."""

from __future__ import annotations

import json
import os

import duckdb
import numpy as np
import polars as pl
import pytest

import pipelines
from pipelines import cli, contract, synth
from pipelines.approval import candidates, guide, model_file, profiles, registry, scoring, train
from pipelines.approval import features as F
from pipelines.config import Home
from tests.test_run_command import documented_keys, documented_shape

PROFILE = {"route": "installment", "product": "credit_card", "overdue_days": 45,
           "prior_overdues_12m": 1, "doc_income_proof": True, "doc_bank_statement": False,
           "doc_hardship_evidence": True, "requested_months": 12, "outstanding_amount": 30000.0}


@pytest.fixture(scope="module", autouse=True)
def few_refits():
    """Two bootstrap refits (the fewest that give an interval): the tests check the
    mechanics, not the width."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(candidates, "BOOTSTRAP_REFITS", 2)
        yield


@pytest.fixture(scope="module")
def trained(small_home, few_refits):
    return small_home, train.train_and_maybe_promote(small_home)


def test_training_reports_both_candidates_on_the_holdout(trained):
    home, result = trained
    assert result["promoted"] and result["reason"] == "no model was promoted before"
    candidates = result["metrics"]["candidates"]
    assert set(candidates) == {"logistic_regression", "gradient_boosting"}
    chosen = min(candidates, key=lambda k: candidates[k]["metrics"]["overall"]["log_loss"])
    assert result["chosen"] == chosen
    for c in candidates.values():
        m = c["metrics"]
        assert m["overall"]["cases"] > 500
        assert set(m["by_route"]) <= set(contract.ROUTES)
        assert "unknown" in m["by_age_band"]
        for key in ("roc_auc", "log_loss", "brier", "brier_skill", "ece", "calibration"):
            assert key in m["overall"]
        assert m["largest_calibration_gap"]["region"]["difference"] >= 0
    meta = registry.load_metadata(home, result["version"])
    assert meta["trained_on"]["to"] < meta["holdout"]["from"]
    assert meta["rows"]["training_window"] + meta["rows"]["holdout"] == meta["rows"]["decided_cases"]


def test_version_folder_is_complete_and_loads_with_explicit_trust_only(trained):
    home, result = trained
    folder = home.models / result["version"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "card.md", "metadata.json", "model.skops", "scoring.npz"]
    assert registry.current_version(home) == result["version"]
    assert not [p for p in home.models.iterdir() if p.name.startswith(".")]
    assert model_file.untrusted_in(folder / "model.skops") == []
    card = (folder / "card.md").read_text("utf-8")
    for heading in ("## Intended use", "Not for", "## Data", "## Metrics",
                    "## Limits", "## Group results", "Largest calibration gap"):
        assert heading in card
    meta = json.loads((folder / "metadata.json").read_text("utf-8"))
    assert len(meta["training_data_fingerprint"]) == 64
    assert meta["library_versions"]["scikit-learn"]
    assert meta["relief_version"] == pipelines.__version__


def test_a_model_file_with_an_untrusted_type_is_refused(tmp_path):
    sio = model_file._skops_io()
    home = Home.resolve(tmp_path)
    (home.models / "v1").mkdir(parents=True)
    from sklearn.dummy import DummyClassifier

    stranger = DummyClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1])
    sio.dump({"model": stranger, "bootstrap": []}, home.models / "v1" / "model.skops")
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        registry.load_bundle(home, "v1")


def test_retraining_on_the_same_data_is_no_worse_and_promotes(trained):
    home, first = trained
    again = train.train_and_maybe_promote(home)
    assert set(again) == documented_keys(documented_shape("train"), "{")  # relief train --json
    assert again["current_before"] == first["version"]
    assert again["current_log_loss_on_this_holdout"] == pytest.approx(
        first["metrics"]["holdout_log_loss"])
    assert again["promoted"]
    assert registry.current_version(home) == again["version"]


def test_a_worse_model_is_kept_out_unless_forced(trained, monkeypatch):
    home, _ = trained
    before = registry.current_version(home)
    weak = candidates.make_boosting(10).set_params(model__max_iter=1, model__max_leaf_nodes=2,
                                              model__early_stopping=False)
    monkeypatch.setattr(train, "CANDIDATES", ("gradient_boosting",))
    monkeypatch.setattr(candidates, "make_boosting", lambda n, kept: weak)
    kept_out = train.train_and_maybe_promote(home)
    assert not kept_out["promoted"] and kept_out["reason"].startswith("worse beyond noise: ")
    assert registry.current_version(home) == before
    assert (home.models / kept_out["version"] / "model.skops").exists()  # saved, not promoted
    forced = train.train_and_maybe_promote(home, force=True)
    assert forced["promoted"] and "--force was given" in forced["reason"]
    assert registry.current_version(home) == forced["version"]
    registry.promote(home, before)


def test_guide_answers_every_route_in_the_cli_shape(trained):
    home, _ = trained
    answer = guide.expectations(home, PROFILE)
    assert set(answer) == {"model_version", "trained_on", "routes", "summary"}
    assert set(answer["trained_on"]) == {"cases", "from", "to"}
    assert [r["route"] for r in answer["routes"]][0] == "installment"
    assert sorted(r["route"] for r in answer["routes"]) == sorted(contract.ROUTES)
    for r in answer["routes"]:
        assert set(r) == {"route", "probability", "interval", "similar_cases",
                          "similar_approval_rate", "factors", "warnings"}
        low, high = r["interval"]
        assert 0 <= low <= r["probability"] <= high <= 1
        for f in r["factors"]:
            assert f["effect"] in ("raises", "lowers") and f["feature"] in train.F.FEATURES
    assert answer["summary"]["en"].count(". ") + answer["summary"]["en"].endswith(".") == 2
    assert answer["summary"]["zh"].count("。") == 2


def test_guide_from_the_scoring_form_equals_the_guide_from_model_skops(trained, monkeypatch):
    home, result = trained
    meta = registry.load_metadata(home, result["version"])
    assert meta["scoring_form"]["file"] == "scoring.npz"
    fast = guide.expectations(home, PROFILE)
    assert isinstance(registry.load_current(home)[1]["model"], scoring.ScoringModel)
    monkeypatch.setattr(registry, "load_scoring", lambda home, version: None)
    assert guide.expectations(home, PROFILE) == fast


def test_similar_cases_match_a_direct_count_on_the_criteria_reported(trained):
    home, _ = trained
    answer = guide.expectations(home, PROFILE, criteria=True)
    where = {"route": None, "product": "product = 'credit_card'",
             "overdue_bucket": "overdue_bucket = '31-90'",
             "prior_overdues_bucket": "prior_overdues_bucket = '1'",
             "documents_submitted": "documents_submitted = '2'"}
    con = duckdb.connect(str(home.analysts_db), read_only=True)
    relaxed = 0
    for r in answer["routes"]:
        # Unknown inputs (good history, broken agreement) are never criteria.
        assert set(r["similar_criteria"]) <= set(where)
        clauses = [where[c] for c in r["similar_criteria"] if where[c]]
        n, rate = con.execute(
            "select count(*), avg((outcome in ('approved','partial'))::int) from cases "
            f"where outcome in ('approved','partial','rejected') and route = '{r['route']}' "
            + "".join(f" and {c}" for c in clauses)).fetchone()
        assert r["similar_cases"] == n
        if n:
            assert r["similar_approval_rate"] == pytest.approx(rate, abs=1e-4)
        # Fewer than 30 on every criterion: relaxed, and the answer says on what it matched.
        if len(r["similar_criteria"]) < len(where):
            relaxed += 1
            assert any("matched on" in w for w in r["warnings"])
    con.close()
    assert relaxed  # 3,000 cases: some routes need fewer criteria


def test_a_value_beyond_the_data_is_scored_at_its_edge_and_widens_the_interval(trained):
    home, _ = trained
    high = registry.load_current(home)[2]["profile_stats"]["installment"]["overdue_days"]["high"]
    inside = guide.expectations(home, {**PROFILE, "overdue_days": high})["routes"][0]
    beyond = guide.expectations(home, {**PROFILE, "overdue_days": 90_000})["routes"][0]
    edge = guide.expectations(home, {**PROFILE, "overdue_days": 90_000}, lang="zh")["routes"][0]
    assert any(w.startswith("days overdue 90,000 days is beyond what the model saw")
               for w in beyond["warnings"])
    assert any("逾期天数" in w and "超出了模型" in w for w in edge["warnings"])
    def logit_width(r):
        low, high = np.clip(r["interval"], 1e-6, 1 - 1e-6)
        return np.log(high / (1 - high)) - np.log(low / (1 - low))

    # The same estimate as at the edge, with a wider interval.
    assert beyond["probability"] == inside["probability"]
    assert logit_width(beyond) > logit_width(inside)
    assert 0.02 < beyond["probability"] < 0.98
    with pytest.raises(profiles.ProfileError, match="route"):
        guide.expectations(home, {**PROFILE, "route": "miracle"})
    with pytest.raises(profiles.ProfileError, match="overdue_days"):
        guide.expectations(home, {**PROFILE, "overdue_days": -1})


def test_the_json_shape_is_the_cli_contract_and_prose_has_no_column_names(trained):
    home, _ = trained
    answer = guide.expectations(home, {**PROFILE, "doc_bank_statement": None})
    assert set(answer) == {"model_version", "trained_on", "routes", "summary"}
    assert set(answer["summary"]) == {"en", "zh"}
    for r in answer["routes"]:
        assert set(r) == {"route", "probability", "interval", "similar_cases",
                          "similar_approval_rate", "factors", "warnings"}
        for text in [f["detail"] for f in r["factors"]] + r["warnings"]:
            assert not any(name in text for name in guide.F.FEATURES if "_" in name), text
            assert "1 percentage points" not in text and "1 similar past cases" not in text


def test_an_input_the_model_does_not_use_for_a_route_is_no_factor(trained):
    home, _ = trained
    answer = guide.expectations(home, {**PROFILE, "route": "interest_waiver",
                                       "requested_months": 24})
    waiver = answer["routes"][0]
    assert waiver["route"] == "interest_waiver"
    assert "requested_months" not in [f["feature"] for f in waiver["factors"]]
    assert any("months asked for" in w and "not used" in w for w in waiver["warnings"])
    unchanged = guide.expectations(home, {**PROFILE, "route": "interest_waiver",
                                          "requested_months": None})["routes"][0]
    assert waiver["probability"] == unchanged["probability"]


def test_an_unknown_input_is_explained_in_both_languages(trained):
    home, _ = trained
    profile = {"route": "installment", "product": "credit_card"}
    for lang, needle in (("en", "not given: past requests that left it out were granted"),
                         ("zh", "未提供")):
        details = [f["detail"] for r in guide.expectations(home, profile, lang=lang)["routes"]
                   for f in r["factors"]]
        assert details and all(needle in d for d in details if "not given" in d or "未提供" in d)
        assert any(needle in d for d in details)


def test_many_profiles_from_a_file_each_answered_a_bad_row_gets_an_error(trained, tmp_path,
                                                                          capsys):
    home, _ = trained
    path = tmp_path / "profiles.csv"
    path.write_text("case_id,route,product,overdue_days,doc_income_proof,colour\n"
                    "A1,installment,credit_card,45,true,red\n"
                    "A2,forgiveness,credit_card,45,,blue\n"
                    "A3,停息挂账,花呗,,否,\n", encoding="utf-8")
    code = cli.main(["guide", "--home", str(home.root), "--profiles", str(path), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert [o["case_id"] for o in out] == ["A1", "A2", "A3"]
    assert "route must be one of" in out[1]["error"] and "routes" not in out[1]
    assert out[2]["routes"][0]["route"] == "interest_suspension"
    single = guide.expectations(home, {"route": "installment", "product": "credit_card",
                                       "overdue_days": 45, "doc_income_proof": True})
    assert {k: v for k, v in out[0].items() if k != "case_id"} == single
    jsonl = tmp_path / "profiles.jsonl"
    jsonl.write_text('{"case_id": "B1", "route": "deferral", "product": "mortgage"}\n',
                     encoding="utf-8")
    assert cli.main(["guide", "--home", str(home.root), "--profiles", str(jsonl)]) == 0
    assert "== B1" in capsys.readouterr().out


def test_cli_guide_json_and_no_model(trained, tmp_path, capsys):
    home, _ = trained
    code = cli.main(["guide", "--home", str(home.root), "--route", "settlement", "--product",
                     "cash_loan", "--overdue-days", "200", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["routes"][0]["route"] == "settlement"
    code = cli.main(["guide", "--home", str(tmp_path), "--route", "settlement", "--product",
                     "cash_loan"])
    assert code == 1
    assert "relief train" in capsys.readouterr().err


def test_sparse_data_trains_and_the_card_says_it_is_weak(tmp_path, home_builder):
    """A few hundred cases, many unknowns, one route whose cases were all granted, one
    number unknown in every case and one enumeration the same in every case (as in the
    CFPB records): those two are left out, and a value given for them is warned about."""
    make_home, synthetic_frame = home_builder
    frame = synthetic_frame(450, seed=9)
    rng = np.random.default_rng(0)
    blank = {c: pl.Series(rng.random(frame.height) < 0.5) for c in
             ("overdue_days", "good_history_months", "hardship_reason",
              "doc_bank_statement", "requested_months")}
    frame = frame.with_columns(
        [pl.when(blank[c]).then(None).otherwise(pl.col(c)).alias(c) for c in blank]
        + [pl.when(pl.col("route") == "other").then(pl.lit("approved"))
           .otherwise(pl.col("outcome")).alias("outcome")]
        + [pl.lit(None, dtype=pl.Int64).alias("outstanding_amount"),
           pl.lit("app").alias("channel")])
    home = make_home(tmp_path, frame)
    result = train.train_and_maybe_promote(home)
    meta = registry.load_metadata(home, result["version"])
    assert meta["dropped_features"] == {
        "channel": "the same value (app) in every training case",
        "outstanding_amount": "unknown in every training case"}
    assert "outstanding_amount" not in meta["features"] and "overdue_days" in meta["features"]
    card = (home.models / result["version"] / "card.md").read_text("utf-8")
    assert "Weak" in card.split("## Strength")[1].split("##")[0]
    assert "outstanding_amount (unknown in every training case)" in card
    assert result["promoted"]
    answer = guide.expectations(home, {"route": "other", "product": "cash_loan",
                                       "outstanding_amount": 5000, "channel": "hotline"})
    assert all(0 <= r["probability"] <= 1 for r in answer["routes"])
    for r in answer["routes"]:
        assert sum("amount owed (5,000 yuan) was not used" in w for w in r["warnings"]) == 1
        assert sum("how it was requested (hotline) was not used" in w for w in r["warnings"]) == 1
        assert not [f for f in r["factors"] if f["feature"] in meta["dropped_features"]]


def test_one_outcome_everywhere_cannot_train(tmp_path, home_builder):
    make_home, synthetic_frame = home_builder
    frame = synthetic_frame(300, seed=4).with_columns(outcome=pl.lit("rejected"))
    home = make_home(tmp_path, frame)
    with pytest.raises(train.TrainingError, match="same outcome"):
        train.train_and_maybe_promote(home)
    assert registry.current_version(home) is None
    assert cli.main(["train", "--home", str(home.root)]) == 1


def test_current_pointer_is_replaced_by_rename(tmp_path, trained):
    home, result = trained
    other = Home.resolve(tmp_path)
    other.models.mkdir(parents=True)
    os.symlink(home.models / result["version"], other.models / "v-linked")
    registry.promote(other, "v-linked")
    assert other.current_model.read_text() == "v-linked\n"
    assert [p.name for p in other.models.iterdir() if p.name.startswith(".")] == []


def test_many_profiles_through_the_compiled_tree_walk_get_the_same_answers(trained,
                                                                            monkeypatch):
    home, _ = trained
    loaded = guide.Guide.load(home)
    models = [loaded.bundle["model"], *loaded.bundle["alternative"]]
    boosting = next(m for m in models if m.kind == "boosting")
    # The boosting candidate answers (chosen or not): its walk is what is compared.
    loaded.bundle = {**loaded.bundle, "model": boosting, "bootstrap": [boosting, boosting]}
    frame = pl.concat(list(synth.generate(400, seed=99))).head(400)
    checked = [profiles.check_profile(row) for row in frame.to_dicts()]
    assert len(checked) * len(F.ROUTES) >= scoring.COMPILED_MIN_ROWS
    fast = loaded.answer(checked)
    assert boosting._compiled not in (False, None)  # the compiled walk did answer
    monkeypatch.setattr(scoring, "COMPILED_MIN_ROWS", 10**9)  # the numpy walk only
    assert loaded.answer(checked) == fast
