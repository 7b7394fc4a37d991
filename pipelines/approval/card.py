"""The model card (models/<version>/card.md): what the model is for and not for, how far
it can be trusted, its data, holdout metrics, group results and limits, in plain words
from a version's metadata."""

from __future__ import annotations


def _f(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def strength(overall: dict, holdout_cases: int) -> str:
    """A plain statement of how much the model can be trusted, from its holdout results."""
    auc, skill = overall.get("roc_auc"), overall.get("brier_skill")
    if holdout_cases < 300 or auc is None:
        return (f"Weak: the holdout holds only {holdout_cases} decided cases, too few to "
                "measure the model reliably. Treat every estimate as a rough indication, and "
                "prefer the observed rates of similar cases where there are many.")
    if (skill is not None and skill < 0.02) or auc < 0.6:
        return (f"Weak: on recent cases it ranks requests only slightly better than chance "
                f"(ROC AUC {_f(auc)}) and improves little on each route's average rate "
                f"(Brier skill {_f(skill)}). Its estimates are close to the route averages.")
    if (skill is not None and skill < 0.10) or auc < 0.7:
        return (f"Moderate: ROC AUC {_f(auc)}, Brier skill {_f(skill)} against each route's "
                "average. It separates likelier from unlikelier requests, with wide overlap.")
    return (f"Useful: ROC AUC {_f(auc)}, Brier skill {_f(skill)} against each route's average "
            "on recent cases it never saw.")


def render_card(meta: dict) -> str:
    m = meta["metrics"]
    chosen = m["candidates"][m["chosen"]]
    overall = chosen["metrics"]["overall"]
    lines = [
        f"# Model card: relief approval model {meta['version']}",
        "",
        "## Intended use",
        "Realistic expectations for people who ask a lender for relief, and for their "
        "advisers: how often requests like theirs were granted (approved or partly approved), "
        "by each route, with the uncertainty of that estimate. It describes past lender "
        "decisions; it is not advice that a request will succeed.",
        "",
        "**Not for** automatic decisions about a person: not for granting or refusing relief, "
        "pricing, collection, scoring or ranking individuals. Lenders' past decisions may carry "
        "their biases; the model repeats them.",
        "",
        "## Strength",
        strength(overall, meta["holdout"]["cases"]),
        "",
        "## Data",
        f"- Decided cases (approved, partial, rejected) from the analysts' database: "
        f"{meta['rows']['decided_cases']}.",
        f"- Training window: {meta['trained_on']['from']} to {meta['trained_on']['to']}, "
        f"{meta['trained_on']['cases']} cases ({meta['rows']['fit']} to fit, "
        f"{meta['rows']['calibration']} to calibrate).",
        f"- Holdout (the most recent {int(meta['holdout']['share'] * 100)}% by application "
        f"date): {meta['holdout']['from']} to {meta['holdout']['to']}, "
        f"{meta['holdout']['cases']} cases.",
        f"- Label: {meta['label']}.",
        f"- Features: {', '.join(meta['features'])}. Unknown values are modelled as unknown "
        "(a category of their own or a missing indicator), never filled in silently. Nothing "
        "known only after the decision is used.",
        *_dropped_lines(meta.get("dropped_features", {})),
        f"- Training-data fingerprint: `{meta['training_data_fingerprint']}`.",
        "",
        "## Metrics (holdout)",
        f"Chosen: **{m['chosen']}** (lowest holdout log loss).",
        "",
        "| candidate | calibration | ROC AUC | log loss | Brier | Brier skill | ECE |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, c in m["candidates"].items():
        o = c["metrics"]["overall"]
        lines.append(f"| {name} | {c['calibration']} | {_f(o['roc_auc'])} | {_f(o['log_loss'])} "
                     f"| {_f(o['brier'])} | {_f(o['brier_skill'])} | {_f(o['ece'])} |")
    lines += ["", "Brier skill is measured against each route's base rate in the training "
              "window; ECE uses 10 equal-width bins.", "", "### Per route", "",
              "| route | cases | observed | mean predicted | ROC AUC | log loss | Brier skill "
              "| ECE |", "|---|---|---|---|---|---|---|---|"]
    lines += _group_rows(chosen["metrics"]["by_route"])
    lines += ["", "### Calibration table (overall)", "",
              "| predicted | cases | mean predicted | observed |", "|---|---|---|---|"]
    for row in overall["calibration"]:
        lines.append(f"| {row['bin'][0]:.1f}-{row['bin'][1]:.1f} | {row['cases']} | "
                     f"{row['mean_predicted']:.3f} | {row['observed_rate']:.3f} |")
    lines += ["", "## Group results", ""]
    for key, title in (("age_band", "Age band"), ("region", "Region")):
        gap = chosen["metrics"]["largest_calibration_gap"][key]
        lines += [f"### {title}", "",
                  "| group | cases | observed | mean predicted | ROC AUC | log loss | Brier skill "
                  "| ECE |", "|---|---|---|---|---|---|---|---|"]
        lines += _group_rows(chosen["metrics"][f"by_{key}"])
        if gap:
            hi, lo = gap["most_overestimated"], gap["most_underestimated"]
            lines += ["", f"Largest calibration gap between {title.lower()} groups: "
                      f"{gap['difference']:.3f} (mean predicted minus observed is "
                      f"{hi['mean_predicted_minus_observed']:+.3f} for {hi['group']}, "
                      f"{hi['cases']} cases, and {lo['mean_predicted_minus_observed']:+.3f} for "
                      f"{lo['group']}, {lo['cases']} cases; groups with at least "
                      f"{gap['min_cases']} holdout cases compared)."]
        lines.append("")
    lines += [
        "## Limits",
        "- It learns from lenders' recorded decisions only; requests never recorded, and "
        "reasons a lender did not record, are invisible to it.",
        "- Cases differ from what it saw when their values lie outside the training range; "
        "the guide warns about such inputs.",
        "- Age band and region are not features; the group results above show how well "
        "calibrated it is for each group.",
        "- The 90% interval reflects the uncertainty of the estimate from limited data "
        f"({meta['rows']['bootstrap_refits']} bootstrap refits), not the chance of one "
        "person's outcome, which is either granted or not.",
        "",
        f"Libraries: {', '.join(f'{k} {v}' for k, v in meta['library_versions'].items())}.",
        "",
    ]
    return "\n".join(lines)


def _dropped_lines(dropped: dict) -> list[str]:
    if not dropped:
        return []
    return ["- Not used, because they carry no information in the training data: "
            + "; ".join(f"{name} ({why})" for name, why in dropped.items())
            + ". The guide warns when a value is given for one of them."]


def _group_rows(groups: dict) -> list[str]:
    rows = []
    for name, s in groups.items():
        if not s.get("cases"):
            continue
        rows.append(f"| {name} | {s['cases']} | {_f(s['observed_rate'])} | "
                    f"{_f(s['mean_predicted'])} | {_f(s['roc_auc'])} | {_f(s['log_loss'])} | "
                    f"{_f(s['brier_skill'])} | {_f(s['ece'])} |")
    return rows
