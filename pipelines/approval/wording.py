"""What `relief guide` says, in English and Chinese: feature names in plain words,
values, counts with correct plurals, and every message of its factors and warnings.

No column name appears in a sentence: each feature has a label in both languages
(the Chinese one is the contract's). Numbers of yuan, days and months carry their unit.
"""

from __future__ import annotations

from typing import Any

from pipelines import contract
from pipelines import formatting as fmt

LANGS = ("en", "zh")
GUIDE_DECIMALS = 0  # of a percent

# Feature -> (English label, Chinese label); the Chinese label is the contract's column name.
_EN_LABELS = {
    "route": "relief route",
    "product": "kind of credit",
    "channel": "how it was requested",
    "outstanding_amount": "amount owed",
    "overdue_days": "days overdue",
    "prior_overdues_12m": "overdue episodes in the last 12 months",
    "good_history_months": "months of on-time history",
    "broke_prior_agreement": "a broken earlier agreement",
    "hardship_reason": "reason for hardship",
    "doc_income_proof": "income proof",
    "doc_bank_statement": "bank statements",
    "doc_hardship_evidence": "hardship evidence",
    "requested_months": "months asked for",
}

ROUTE_EN = {
    "installment": "an installment plan",
    "deferral": "a deferral",
    "interest_waiver": "a partial interest or penalty waiver",
    "interest_suspension": "interest suspension",
    "settlement": "a discounted settlement",
    "other": "other relief",
}

# The similar-case criteria (sql/model/similar_cases.sql), in relaxation order's reverse.
CRITERIA = ("product", "overdue_bucket", "prior_overdues_bucket", "good_history_bucket",
            "broke_prior_agreement", "documents_submitted")
_CRITERIA_LABELS = {
    "route": ("route", "减免方式"),
    "product": ("kind of credit", "产品"),
    "overdue_bucket": ("time overdue", "逾期时长"),
    "prior_overdues_bucket": ("earlier overdue episodes", "近12月逾期次数"),
    "good_history_bucket": ("on-time history", "良好记录月数"),
    "broke_prior_agreement": ("broken earlier agreement", "曾违反还款协议"),
    "documents_submitted": ("documents submitted", "提交材料数"),
}


def label(name: str, lang: str) -> str:
    return _EN_LABELS[name] if lang == "en" else contract.BY_NAME[name].zh


def criterion(name: str, lang: str) -> str:
    return _CRITERIA_LABELS[name][0 if lang == "en" else 1]


def route_name(route: str, lang: str) -> str:
    return route if lang == "en" else contract.zh_label(contract.ROUTES, route)


def show(name: str, value: Any, lang: str) -> str:
    """A feature's value as a person reads it, with its unit."""
    if value is None:
        return "unknown" if lang == "en" else "未知"
    column = contract.BY_NAME[name]
    if column.enum:
        if lang == "zh":
            return contract.zh_label(column.enum, value)
        return str(value).replace("_", " ")
    if column.kind == "boolean":
        if name.startswith("doc_"):
            return ("submitted" if value else "not submitted") if lang == "en" else (
                "已提交" if value else "未提交")
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    number = float(value)
    if name == "outstanding_amount":
        return f"{number:,.0f} yuan" if lang == "en" else f"{number:,.0f}元"
    if column.kind == "integer":  # a typical value or range edge may be a quantile
        number = float(round(number))
    text = f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
    unit = {"overdue_days": ("day", "天"), "good_history_months": ("month", "个月"),
            "requested_months": ("month", "个月"), "prior_overdues_12m": ("episode", "次")}
    if name in unit:
        en, zh = unit[name]
        return f"{text} {en}{'' if number == 1 else 's'}" if lang == "en" else f"{text}{zh}"
    return text


def count(n: int, singular: str, plural: str) -> str:
    """'1 similar past case', '2 similar past cases'."""
    return f"{n:,} {singular if n == 1 else plural}"


def points(n: int, lang: str) -> str:
    return count(n, "percentage point", "percentage points") if lang == "en" else f"{n}个百分点"


def similar(n: int, lang: str) -> str:
    return count(n, "similar past case", "similar past cases") if lang == "en" else \
        f"{n:,}个相似的过往案例"


def join(items: list[str], lang: str) -> str:
    if lang == "zh":
        return "、".join(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def why_dropped(why: str, lang: str) -> str:
    """features.uninformative's reason, in the language asked."""
    if lang == "en":
        return why
    if why.startswith("unknown"):
        return "在所有训练案例中均未知"
    return "在所有训练案例中取值都相同"


# --- messages: key -> (English, Chinese) templates --------------------------------------

MESSAGES = {
    "factor": (
        "{label}: {value} (typical for this route: {typical}) {moves} the estimate by {points}",
        "{label}：{value}（该方式的典型情况：{typical}），使估计{moves}{points}",
    ),
    "factor_unknown": (
        "{label} not given: past requests that left it out were granted {more} often than "
        "those with the typical value ({typical}), which {moves} the estimate by {points}",
        "未提供{label}：过去未提供此项的申请，获批比例{more}典型情况（{typical}），"
        "使估计{moves}{points}",
    ),
    "clamped": (
        "{label} {given} is beyond what the model saw for this route ({low} to {high}): it is "
        "scored as {used}, and the interval is widened because the data cannot say what "
        "happens beyond that",
        "{label}{given}超出了模型在该方式中见过的范围（{low}至{high}）：按{used}估计，"
        "并放宽了区间，因为数据无法说明超出范围后的情况",
    ),
    "rare": (
        "{label} {value}: only {cases} of this route in the training data, so the interval "
        "is widened",
        "{label}为{value}的该方式案例在训练数据中只有{cases}个，因此放宽了区间",
    ),
    "unseen": (
        "{label} was unknown in (almost) every case of this route the model saw: the value "
        "given is not used for this route",
        "模型见过的该方式案例中，{label}（几乎）全部未知：所填的值不用于该方式",
    ),
    "dropped": (
        "{label} ({value}) was not used: it was {why}, so the model learned nothing from it",
        "{label}（{value}）未被使用：它{why}，模型无法从中学习",
    ),
    "no_route": (
        "the model saw no decided cases of this route: it cannot say, and the interval "
        "spans 0% to 100%",
        "模型没有见过该方式的已决案例，无法估计，区间为0%至100%",
    ),
    "few_route_cases": (
        "the model saw only {cases} of this route: the estimate is rough",
        "模型只见过该方式的{cases}，估计较为粗略",
    ),
    "no_interval": (
        "too few cases to measure the uncertainty of this estimate",
        "案例太少，无法衡量这一估计的不确定性",
    ),
    "no_database": (
        "no analysts' database: similar past cases could not be counted",
        "没有分析数据库，无法统计相似的过往案例",
    ),
    "few_similar": (
        "only {similar}, matched on {criteria}: their observed rate is not reliable",
        "按{criteria}匹配只有{similar}，其实际获批比例并不可靠",
    ),
    "relaxed": (
        "fewer than {minimum} past cases matched on everything, so similar cases were "
        "matched on {criteria} only",
        "完全匹配的过往案例少于{minimum}个，因此相似案例只按{criteria}匹配",
    ),
    "differs": (
        "the estimate ({estimate}) and the rate among the {similar} ({rate}) differ by more "
        "than their uncertainty: the estimate also weighs the rest of the profile "
        "({others}), which the similar cases were not matched on",
        "估计（{estimate}）与{similar}的获批比例（{rate}）之差超出了两者的不确定性："
        "估计还考虑了您情况中的其他方面（{others}），而相似案例并未按这些匹配",
    ),
}


def say(key: str, lang: str, **values: Any) -> str:
    en, zh = MESSAGES[key]
    return (en if lang == "en" else zh).format(**values)


def moves(raises: bool, lang: str) -> str:
    if lang == "en":
        return "raises" if raises else "lowers"
    return "提高" if raises else "降低"


def more(raises: bool, lang: str) -> str:
    if lang == "en":
        return "more" if raises else "less"
    return "高于" if raises else "低于"


def route_cases(n: int, lang: str) -> str:
    return count(n, "decided case", "decided cases") if lang == "en" else f"{n:,}个已决案例"


def pct(p: float) -> str:
    """A probability as a whole percent (pipelines/formatting, the one formatting module):
    a guide speaks of "about 74%", not of tenths."""
    return fmt.percent(p, GUIDE_DECIMALS)


def estimate(p: float, interval: list[float] | None) -> tuple[str, str, str]:
    """(estimate, low, high) printed with one precision, the interval holding the estimate
    (formatting.rate_and_interval: bounds rounded outward, more decimals if they meet)."""
    low, high = interval if interval else (p, p)
    return fmt.rate_and_interval(p, low, high, GUIDE_DECIMALS)
