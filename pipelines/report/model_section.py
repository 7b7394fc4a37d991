"""Sections 4 (realistic expectations) and 5 (the model), from the promoted model.

When no model is promoted, or the guide is missing, the section says so and why,
instead of showing anything made up. Counts shown here are suppressed as every
published count is (pipelines.privacy.suppress_cells).
"""

from __future__ import annotations

import re

from pipelines import formatting
from pipelines.config import Home
from pipelines.privacy import suppress_cells
from pipelines.report.render import COUNT, LABEL, NUMBER, RATE, TEXT, Section, Table
from pipelines.report.text import t, value_label

LANGS = ("en", "zh")

# Typical situations (contract column names; anything left out is unknown).
PROFILES: dict[str, dict] = {
    "prof_first_docs": {"route": "installment", "product": "credit_card", "channel": "app",
                        "overdue_days": 45, "prior_overdues_12m": 0, "broke_prior_agreement": False,
                        "hardship_reason": "income_drop", "doc_income_proof": True,
                        "doc_bank_statement": True, "doc_hardship_evidence": True},
    "prof_repeat_nodocs": {"route": "installment", "product": "credit_card", "channel": "app",
                           "overdue_days": 120, "prior_overdues_12m": 4,
                           "broke_prior_agreement": False, "hardship_reason": "income_drop",
                           "doc_income_proof": False, "doc_bank_statement": False,
                           "doc_hardship_evidence": False},
    "prof_broke": {"route": "installment", "product": "credit_card", "channel": "app",
                   "overdue_days": 60, "prior_overdues_12m": 2, "broke_prior_agreement": True,
                   "hardship_reason": "income_drop", "doc_income_proof": True,
                   "doc_bank_statement": False, "doc_hardship_evidence": False},
}


def _unavailable(key: str, why: dict) -> Section:
    section = Section(key)
    section.paragraphs.append({lg: t(lg, "unavailable", why=why[lg]) for lg in LANGS})
    return section


def _current_metadata(home: Home):
    from pipelines.approval import registry

    version = registry.current_version(home)
    if version is None:
        return None, None
    return version, registry.load_metadata(home, version)


def expectations_section(home: Home, threshold: int) -> Section:
    try:
        version, _meta = _current_metadata(home)
    except (OSError, ValueError) as exc:
        return _unavailable("s4", {lg: str(exc) for lg in LANGS})
    if version is None:
        return _unavailable("s4", {lg: t(lg, "no_model") for lg in LANGS})
    try:
        from pipelines.approval.guide import expectations
    except ImportError as exc:
        return _unavailable("s4", {lg: t(lg, "no_guide", err=type(exc).__name__) for lg in LANGS})
    section = Section("s4")
    section.paragraphs.append({lg: t(lg, "expect_intro") for lg in LANGS})
    answers, words = [], {lg: [] for lg in LANGS}
    for key, profile in PROFILES.items():
        try:
            answer = expectations(home, dict(profile))
        except Exception as exc:  # the guide failing must not stop the report
            return _unavailable("s4", {lg: t(lg, "no_guide", err=f"{type(exc).__name__}: {exc}")
                                       for lg in LANGS})
        answers += [(key, r) for r in answer.get("routes", [])]
        for lg in LANGS:
            words[lg].append(t(lg, key) + ": " + "; ".join(
                t(lg, "plain", route=value_label(lg, r["route"]),
                  **_whole_percents(r["probability"], *r["interval"]))
                for r in answer.get("routes", []) if r.get("interval")) + ".")
    # similar decided cases are published counts: each (profile, route) splits into
    # approved and rejected, suppressed by the same routine as every other count
    counts, relations = {}, []
    for key, r in answers:
        n = int(r.get("similar_cases") or 0)
        rate = r.get("similar_approval_rate")
        granted = round(rate * n) if rate is not None else 0
        cell = (key, r["route"])
        counts[(cell, "n")], counts[(cell, "granted")], counts[(cell, "rejected")] = \
            n, granted, n - granted
        relations.append(((cell, "n"), [(cell, "granted"), (cell, "rejected")]))
    hidden = suppress_cells(counts, relations, threshold)
    rows = []
    for key, r in answers:
        cell = (key, r["route"])
        low, high = r["interval"] or (None, None)
        rate_shown = (cell, "granted") not in hidden and (cell, "rejected") not in hidden
        rows.append([key, r["route"], r["probability"], low, high,
                     None if (cell, "n") in hidden else counts[(cell, "n")],
                     r["similar_approval_rate"] if rate_shown else None])
    for i in range(len(PROFILES)):
        section.paragraphs.append({lg: words[lg][i] for lg in LANGS})
    section.tables.append(Table("expectations", "s4",
                                ["profile", "route", "probability", "probability_low",
                                 "probability_high", "similar_cases", "similar_approval_rate"],
                                [LABEL, LABEL, RATE, RATE, RATE, COUNT, RATE], rows))
    return section


def model_section(home: Home, threshold: int) -> Section:
    from pipelines.report import charts

    try:
        version, meta = _current_metadata(home)
    except (OSError, ValueError) as exc:
        return _unavailable("s5", {lg: str(exc) for lg in LANGS})
    if version is None:
        return _unavailable("s5", {lg: t(lg, "no_model") for lg in LANGS})
    try:
        metrics = meta["metrics"]
        chosen = metrics["candidates"][metrics["chosen"]]["metrics"]
        overall = chosen["overall"]
        trained, holdout = meta["trained_on"], meta["holdout"]
    except (KeyError, TypeError) as exc:
        return _unavailable("s5", {lg: f"metadata.json lacks {exc}" for lg in LANGS})
    section = Section("s5")
    section.paragraphs.append({lg: f"{t(lg, 'model_version')}: `{version}`; {t(lg, 'model_chosen')}: "
                               f"{value_label(lg, metrics['chosen'])}" for lg in LANGS})
    section.paragraphs.append({lg: t(lg, "model_window", cases=f"{trained['cases']:,}",
                                     start=trained["from"], end=trained["to"]) + "; "
                               + t(lg, "model_holdout", cases=f"{holdout['cases']:,}",
                                   start=holdout["from"], end=holdout["to"]) for lg in LANGS})
    section.tables.append(Table("model_metrics", "s5", ["roc_auc", "brier_skill", "ece", "log_loss"],
                                [NUMBER] * 4, [[_round(overall.get(k)) for k in
                                                ("roc_auc", "brier_skill", "ece", "log_loss")]]))
    # group results and calibration bins: cases split into approved / not approved;
    # every split of the holdout adds up to it, so they are suppressed as one system
    groups: dict[str, dict] = {}
    for kind in ("by_route", "by_age_band", "by_region"):
        for name, s in (chosen.get(kind) or {}).items():
            if s.get("cases"):
                groups[(kind, str(name))] = s
    for i, b in enumerate(overall.get("calibration") or []):
        if b.get("cases"):
            groups[("calibration", f"{b['bin'][0]:.1f}-{b['bin'][1]:.1f}", i)] = {
                "cases": b["cases"], "observed_rate": b["observed_rate"],
                "mean_predicted": b["mean_predicted"]}
    counts, relations = {}, []
    total = int(holdout["cases"])
    total_pos = round(sum(s["cases"] * (s.get("observed_rate") or 0) for k, s in groups.items()
                          if k[0] == "by_route"))
    counts[("all", "cases")], counts[("all", "pos")] = total, total_pos
    counts[("all", "neg")] = total - total_pos
    relations.append((("all", "cases"), [("all", "pos"), ("all", "neg")]))
    kinds: dict[str, list] = {}
    for key, s in groups.items():
        n = int(s["cases"])
        pos = round(n * (s.get("observed_rate") or 0))
        counts[(key, "cases")], counts[(key, "pos")], counts[(key, "neg")] = n, pos, n - pos
        relations.append(((key, "cases"), [(key, "pos"), (key, "neg")]))
        kinds.setdefault(key[0], []).append(key)
    for members in kinds.values():
        for cls in ("cases", "pos", "neg"):
            if sum(counts[(k, cls)] for k in members) == counts[("all", cls)]:
                relations.append((("all", cls), [(k, cls) for k in members]))
    hidden = suppress_cells(counts, relations, threshold)
    rows, bins = [], []
    for key, s in groups.items():
        rate_ok = (key, "pos") not in hidden and (key, "neg") not in hidden
        cases = None if (key, "cases") in hidden else counts[(key, "cases")]
        if key[0] == "calibration":  # its own table: bins have no AUC or ECE of their own
            bins.append([key[1], cases, _round(s.get("mean_predicted")) if rate_ok else None,
                         _round(s.get("observed_rate")) if rate_ok else None])
            continue
        rows.append([key[0].removeprefix("by_"), key[1], cases,
                     _round(s.get("observed_rate")) if rate_ok else None,
                     _round(s.get("mean_predicted")) if rate_ok else None,
                     _round(s.get("roc_auc")) if rate_ok else None,
                     _round(s.get("ece")) if rate_ok else None])
    section.tables.append(Table("model_groups", "s5",
                                ["group", "value", "cases", "observed_rate", "mean_predicted",
                                 "roc_auc", "ece"], [LABEL, LABEL, COUNT, NUMBER, NUMBER, NUMBER, NUMBER],
                                rows, collapsed=True))
    section.tables.append(Table("model_calibration", "calibration_title",
                                ["predicted_range", "cases", "mean_predicted", "observed_rate"],
                                [TEXT, COUNT, NUMBER, NUMBER], bins))
    points = [(b[2], b[3]) for b in bins if b[3] is not None]
    section.figures.append(("calibration", {lg: charts.calibration(
        t(lg, "calibration_title"), points, t(lg, "predicted"), t(lg, "observed")) for lg in LANGS}))
    limits = _card_limits(home, version)
    if limits:
        section.paragraphs.append({lg: t(lg, "limits") for lg in LANGS})
        for line in limits:
            section.paragraphs.append({**{lg: line for lg in LANGS}, "quoted": "en"})
    return section


def _whole_percents(p: float, low: float, high: float) -> dict:
    """The estimate and its interval in whole percent, the printed interval holding the
    printed estimate (pipelines.formatting)."""
    texts = formatting.rate_and_interval(p, low, high, decimals=0)
    return dict(zip(("p", "lo", "hi"), (x.removesuffix("%") for x in texts), strict=True))


def _round(x):
    return None if x is None else round(float(x), 4)


def _card_limits(home: Home, version: str) -> list[str]:
    """The bullet points of the card's '## Limits' section (plain text, no counts)."""
    from pipelines.approval import registry

    try:
        card = (registry.version_dir(home, version) / registry.CARD_FILE).read_text("utf-8")
    except OSError:
        return []
    match = re.search(r"^## Limits\s*$(.*?)(?=^## |\Z)", card, re.S | re.M)
    if not match:
        return []
    return [line[2:].strip() for line in match.group(1).splitlines() if line.startswith("- ")]
