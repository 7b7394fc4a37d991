"""Realistic expectations for one profile or many: `relief guide`, expectations() and
expectations_for_rows() (docs/model.md).

For the route asked and every other route: the calibrated probability of approval
(full or partial), a 90% interval for that estimate (widened where the profile lies
beyond what the model saw, which is scored at the data's edge), the decided past cases
like this one and their observed rate, the factors that move the estimate away from the
route's typical case, warnings (English or Chinese: wording.py), and a two-sentence
summary in both languages. Guide loads a model once and answers many profiles in batches.

Interactive and cold-started: imports stay lean (no polars, Prefect, skops), the models
load through registry: from the version's scoring.npz (arrays only, checked against
model.skops when written), else from model.skops (skops, explicit trusted types).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipelines import contract
from pipelines.approval import estimates, factors, profiles, registry, similar, wording
from pipelines.approval import features as F
from pipelines.config import Home

FEW_ROUTE_CASES = 100


# --- warnings ---------------------------------------------------------------------------


def warnings_for(profile: dict, stats: dict | None, edge: estimates.Edge, dropped: dict,
                 lang: str = "en") -> list[str]:
    """Inputs beyond what the model saw for this route, or that it does not use."""
    out = [wording.say("dropped", lang, label=wording.label(name, lang),
                       value=wording.show(name, profile[name], lang),
                       why=wording.why_dropped(why, lang))
           for name, why in dropped.items() if name != "route" and profile.get(name) is not None]
    if stats is None or edge.no_route:
        return out + [wording.say("no_route", lang)]
    if stats["cases"] < FEW_ROUTE_CASES:
        out.append(wording.say("few_route_cases", lang,
                               cases=wording.route_cases(stats["cases"], lang)))
    for name in edge.unseen:
        if profile.get(name) is not None:
            out.append(wording.say("unseen", lang, label=wording.label(name, lang)))
    for name, given, used in edge.clamped:
        entry = stats[name]
        out.append(wording.say(
            "clamped", lang, label=wording.label(name, lang),
            given=wording.show(name, given, lang), used=wording.show(name, used, lang),
            low=wording.show(name, entry["low"], lang),
            high=wording.show(name, entry["high"], lang)))
    for name, value, seen in edge.rare:
        out.append(wording.say("rare", lang, label=wording.label(name, lang),
                               value=wording.show(name, value, lang),
                               cases=wording.route_cases(seen, lang)))
    return out


# --- the summary ----------------------------------------------------------------------------


def summary(answers: list[dict]) -> dict[str, str]:
    asked = answers[0]
    best = max(answers, key=lambda a: a["probability"])
    route = asked["route"]
    shown, low, high = wording.estimate(asked["probability"], asked["interval"])
    pct = wording.pct
    zh_route = contract.zh_label(contract.ROUTES, route)
    en = (f"For requests like yours, lenders granted {wording.ROUTE_EN[route]} in full or in "
          f"part about {shown} of the time (our estimate lies between {low} and {high}).")
    zh = (f"与您情况相似的申请中，约有{shown}获得了{zh_route}（全部或部分批准），"
          f"这一估计大致在{low}到{high}之间。")
    if best["route"] != route and best["probability"] - asked["probability"] >= 0.05:
        en += (f" This describes past decisions, not a promise; for a profile like yours "
               f"{wording.ROUTE_EN[best['route']]} was granted more often, about "
               f"{pct(best['probability'])} of the time.")
        zh += (f"这反映的是过去的决定，并非承诺；像您这样的情况，"
               f"{contract.zh_label(contract.ROUTES, best['route'])}的获批比例更高，约为"
               f"{pct(best['probability'])}。")
    else:
        en += (" This describes past decisions, not a promise, and none of the other routes "
               "was clearly more often granted for a profile like yours.")
        zh += "这反映的是过去的决定，并非承诺；对像您这样的情况，其他方式的获批比例并没有明显更高。"
    return {"en": en, "zh": zh}


# --- the answer -------------------------------------------------------------------------------


@dataclass
class Guide:
    """A loaded model, ready to answer many profiles (the model loads once)."""
    home: Home
    version: str
    bundle: dict
    meta: dict

    @classmethod
    def load(cls, home: Home) -> Guide:
        version, bundle, meta = registry.load_current(home)
        return cls(home, version, bundle, meta)

    def answer(self, checked: list[dict[str, Any]], lang: str = "en",
               criteria: bool = False) -> list[dict]:
        """One answer per checked profile (check_profile), in order. With criteria, each
        route also carries `similar_criteria` (what its similar cases matched on) for the
        printed form; the JSON form (CLI.md) has no such key."""
        routes_of = [[p["route"]] + [r for r in F.ROUTES if r != p["route"]] for p in checked]
        X = F.encode_profiles([{**p, "route": r}
                               for p, routes in zip(checked, routes_of, strict=True)
                               for r in routes])
        p, bounds, edges, X_scored = estimates.scored(self.bundle, self.meta, X)
        matches = similar.similar_cases(self.home, checked)
        dropped = self.meta.get("dropped_features", {})
        # Every factor row of every estimate, scored in one call.
        skips, typical_p = [], []
        all_rows: list[np.ndarray] = []
        typicals = {route: factors.typical_row(stats)
                    for route, stats in self.meta["profile_stats"].items()}
        for k, route in enumerate(r for routes in routes_of for r in routes):
            skips.append(set(dropped) | set(edges[k].unseen))
            stats = self.meta["profile_stats"].get(route)
            rows = (factors.factor_rows(X_scored[k], stats, skips[k], typicals[route])[0]
                    if stats else [])
            typical_p.append((len(all_rows), len(rows)))
            all_rows += rows
        scored_rows = (estimates.positive(self.bundle["model"], np.vstack(all_rows))
                       if all_rows else [])
        out = []
        k = 0
        for index, (profile, routes) in enumerate(zip(checked, routes_of, strict=True)):
            answers = []
            for route in routes:
                stats = self.meta["profile_stats"].get(route)
                edge = edges[k]
                interval = ([round(float(bounds[k, 0]), 4), round(float(bounds[k, 1]), 4)]
                            if bounds is not None else None)
                notes = warnings_for(profile, stats, edge, dropped, lang)
                if bounds is None:
                    notes.append(wording.say("no_interval", lang))
                match = matches[index].get(route, similar.Similar(0, 0, ["route"], False)) \
                    if matches is not None else None
                if matches is None:
                    notes.append(wording.say("no_database", lang))
                notes += similar.similar_notes(match, float(p[k]), interval, profile, lang)
                first, n = typical_p[k]
                answers.append({
                    "route": route,
                    "probability": round(float(p[k]), 4),
                    "interval": interval,
                    "similar_cases": match.cases if match else 0,
                    "similar_approval_rate": round(match.granted / match.cases, 4)
                    if match and match.cases else None,
                    "factors": factors.factors(
                        self.bundle["model"], X_scored[k], float(p[k]), stats, skips[k], lang,
                        scored_rows[first:first + n], typicals[route]) if stats else [],
                    "warnings": notes,
                })
                if criteria:
                    answers[-1]["similar_criteria"] = match.criteria if match else []
                k += 1
            out.append({
                "model_version": self.version,
                "trained_on": self.meta["trained_on"],
                "routes": answers,
                "summary": summary(answers),
            })
        return out


def expectations(home: Home, profile: dict[str, Any], lang: str = "en",
                 criteria: bool = False) -> dict:
    """The guide's answer for one profile (the structure `relief guide --json` prints).

    profile: contract column names -> value; missing or None is unknown; route and
    product required. Raises registry.NoModel when no model is promoted,
    profiles.ProfileError for an unreadable profile.
    """
    checked = profiles.check_profile(profile)
    return Guide.load(home).answer([checked], lang, criteria)[0]


def expectations_for_rows(home: Home, rows: list[dict[str, Any]], lang: str = "en",
                          criteria: bool = False) -> list[dict]:
    """Answers for many rows (contract column names -> value or text), each with its
    case_id; a row that cannot be read gets {"case_id", "error"} and the others are
    still answered. The model loads once and similar cases are counted in one query."""
    import re

    guide = Guide.load(home)
    checked, results = [], []
    for row in rows:
        case_id = row.get("case_id")
        case_id = None if case_id is None or str(case_id).strip() == "" else str(case_id).strip()
        try:
            if row.get("error"):
                raise profiles.ProfileError(row["error"])
            if case_id is not None and not re.fullmatch(contract.CASE_ID_PATTERN, case_id):
                case_id = None
                raise profiles.ProfileError("case_id is not a pseudonymous id (letters, "
                                            "digits, _ and -, at most 64)")
            checked.append(profiles.check_profile(row))
            results.append({"case_id": case_id})
        except profiles.ProfileError as exc:
            results.append({"case_id": case_id, "error": str(exc)})
    answers = iter(guide.answer(checked, lang, criteria) if checked else [])
    return [r if "error" in r else {"case_id": r["case_id"], **next(answers)} for r in results]


def render(answer: dict, lang: str = "en") -> str:
    """The printed form of one answer (`relief guide` without --json)."""
    t = answer["trained_on"]
    if lang == "en":
        lines = [f"model {answer['model_version']}, trained on "
                 f"{wording.route_cases(t['cases'], lang)} ({t['from']} to {t['to']})"]
    else:
        lines = [f"模型 {answer['model_version']}，基于{t['cases']:,}个已决案例训练"
                 f"（{t['from']}至{t['to']}）"]
    for r in answer["routes"]:
        name = wording.route_name(r["route"], lang)
        p, low, high = wording.estimate(r["probability"], r["interval"])
        rate = "n/a" if r["similar_approval_rate"] is None else wording.pct(
            r["similar_approval_rate"])
        cases = wording.similar(r["similar_cases"], lang)
        if r.get("similar_criteria"):
            matched = wording.join([wording.criterion(c, lang) for c in r["similar_criteria"]],
                                   lang)
            cases += f" (same {matched})" if lang == "en" else f"（{matched}相同）"
        if lang == "en":
            interval = "no interval" if r["interval"] is None else \
                f"90% interval {low} to {high}"
            lines.append(f"\n{name}: {p} ({interval}); {cases}, {rate} granted")
        else:
            interval = "无区间" if r["interval"] is None else \
                f"90%区间{low}至{high}"
            lines.append(f"\n{name}：{p}（{interval}）；{cases}，获批{rate}")
        for f in r["factors"]:
            lines.append(f"  {'+' if f['effect'] == 'raises' else '-'} {f['detail']}")
        for w in r["warnings"]:
            lines.append(f"  ! {w}")
    lines.append(f"\n{answer['summary']['en']}\n{answer['summary']['zh']}")
    return "\n".join(lines)
