"""Every word of the report, in English and Chinese. label(lang, key) picks one."""

from __future__ import annotations

import re

from pipelines import contract

# The report's languages, in the order its pages link to each other.
LANGS = ("en", "zh")

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Relief requests: what happened, {period}", "减免申请结果报告：{period}"),
    "generated": ("Generated {when} from `data/relief.duckdb`.",
                  "生成时间 {when}，数据来自 `data/relief.duckdb`。"),
    "other_lang": ("中文版", "English version"),
    "intro": ("This report counts requests for relief (an installment plan, a deferral, an interest "
              "or penalty waiver, interest suspension, a discounted settlement) made to lenders by "
              "borrowers who had fallen behind, by the month they were made. \"Approved\" means "
              "approved or partly approved; the approval rate is approved among decided requests "
              "(approved, partly approved or rejected). Ranges in brackets are 95% intervals: the "
              "true rate very likely lies within them.",
              "本报告统计逾期借款人向贷款机构提出的减免申请（分期还款、延期还款、部分免息/减免罚息、"
              "停息挂账、一次性结清减免），按申请月份计。“批准”指批准或部分批准；批准率 = 批准数 / "
              "已决定数（批准、部分批准、拒绝）。括号内为 95% 区间：真实比率很可能落在其中。"),
    "suppression_note": ("Counts of people from 1 to {threshold_less} are not shown (\"{marker}\"; "
                         "zeros are shown), nor are a few other counts chosen so that hidden ones "
                         "cannot be worked out from totals; rates that would reveal a hidden count "
                         "are hidden too.",
                         "1 至 {threshold_less} 的人数计数不予显示（“{marker}”；零照常显示），另有少量计数一并隐去，"
                         "使隐去的数字无法由合计推算；会暴露隐去计数的比率同样隐去。"),
    "marker": ("suppressed", "已隐去"),
    "s1": ("1. Headline", "1. 概要"),
    "s2": ("2. Trends and outcomes", "2. 趋势与结果"),
    "s3": ("3. Who gets relief", "3. 哪些人获得减免"),
    "s4": ("4. Realistic expectations", "4. 合理预期"),
    "s5": ("5. The model", "5. 模型"),
    "s6": ("6. Data quality", "6. 数据质量"),
    "s7": ("7. Method and definitions", "7. 方法与定义"),
    "period_current": ("this period", "本期"),
    "period_previous": ("previous period", "上期"),
    "period_year_earlier": ("a year earlier", "去年同期"),
    "all_routes": ("all routes", "全部方式"),
    "route": ("route", "减免方式"),
    "period": ("period", "期间"),
    "month": ("month", "月份"),
    "requests": ("requests", "申请数"),
    "decided": ("decided", "已决定"),
    "granted": ("approved", "批准"),
    "rejected": ("rejected", "拒绝"),
    "withdrawn": ("withdrawn", "撤回"),
    "pending": ("pending", "审核中"),
    "approval_rate": ("approval rate", "批准率"),
    "previous_approval_rate": ("previous period", "上期批准率"),
    "year_earlier_approval_rate": ("a year earlier", "去年同期批准率"),
    "median_days_to_decision": ("median days to decision", "决定天数中位数"),
    "p90_days_to_decision": ("90% decided within (days)", "90% 在此天数内决定"),
    "median_waived_amount": ("median waived (yuan)", "减免金额中位数（元）"),
    "granted_route": ("route granted", "批准方式"),
    "plans": ("plans", "计划数"),
    "completed": ("completed", "已结清"),
    "active": ("active", "履约中"),
    "broken": ("broken", "已违约"),
    "status_unknown": ("status unknown", "状态未知"),
    "broken_share": ("broken share", "违约比例"),
    "segment": ("segment", "分组"),
    "value": ("value", "取值"),
    "headline_table": ("Requests and approval rate per route", "各减免方式的申请数与批准率"),
    "outcomes_table": ("Outcomes per route in this, the previous and the year-earlier period",
                       "本期、上期与去年同期各方式的结果"),
    "sig_up": ("The approval rate of {route} rose from {old} to {new} against {when}; this change is "
               "larger than chance would explain.",
               "{route}的批准率较{when}由 {old} 升至 {new}，变化超出随机波动。"),
    "sig_down": ("The approval rate of {route} fell from {old} to {new} against {when}; this change "
                 "is larger than chance would explain.",
                 "{route}的批准率较{when}由 {old} 降至 {new}，变化超出随机波动。"),
    "no_sig": ("No route's approval rate changed by more than chance would explain, against the "
               "previous period or a year earlier.",
               "与上期及去年同期相比，各方式的批准率变化均未超出随机波动。"),
    "trend_title": ("Approval rate per route, last 12 months (band: 95% interval)",
                    "近 12 个月各方式批准率（阴影：95% 区间）"),
    "trend_gap": ("Gaps: months whose figures are suppressed.", "断点：该月数据已隐去。"),
    "ttd_title": ("Time to decision per route, Kaplan–Meier (bar: half decided within; mark: 90% "
                  "decided within)", "各方式决定所需天数，Kaplan–Meier 估计（条：半数在此天数内决定；竖线：90% 在此天数内）"),
    "ttd_note": ("Kaplan–Meier counts a pending request as still waiting, so recent months are not "
                 "biased towards quick decisions.",
                 "Kaplan–Meier 估计把审核中的申请计为仍在等待，因此近期月份不会偏向快速决定。"),
    "median_days_to_decision_km": ("half decided within (days, Kaplan–Meier)",
                                   "半数在此天数内决定（Kaplan–Meier）"),
    "p90_days_to_decision_km": ("90% decided within (days, Kaplan–Meier)",
                                "90% 在此天数内决定（Kaplan–Meier）"),
    "not_reached": ("not yet reached", "尚未达到"),
    "provisional": ("provisional", "暂定"),
    "km_lead": ("Half of this period's requests were decided within {median} days.",
                "本期半数申请在 {median} 天内得到决定。"),
    "km_lead_p90": ("90% were decided within {p90} days (Kaplan–Meier: requests still pending "
                    "count as still waiting).", "90% 在 {p90} 天内得到决定（Kaplan–Meier 估计：审核中的申请计为仍在等待）。"),
    "km_lead_p90_open": ("Too many are still pending to say within how many days 90% are decided "
                         "(Kaplan–Meier: requests still pending count as still waiting).",
                         "审核中的申请仍多，尚无法估计 90% 在多少天内得到决定（Kaplan–Meier 估计：审核中的申请计为仍在等待）。"),
    "km_lead_none": ("How long decisions take this period cannot be shown (its counts are suppressed "
                     "or nothing was decided yet).", "本期决定所需天数无法显示（计数已隐去或尚无决定）。"),
    "provisional_rows": ("Rows marked provisional (shaded): more than 5% of their requests (not "
                         "counting withdrawn ones) are still pending, so their approval rate and "
                         "decision times may still move.",
                         "标为“暂定”（底色）的行：超过 5% 的申请（不含撤回）仍在审核中，其批准率与决定天数仍可能变化。"),
    "provisional_period": ("{period} is provisional: more than 5% of its requests are still pending. "
                           "Its figures may still move; the latest complete month is the default "
                           "report.", "{period} 为暂定数据：超过 5% 的申请仍在审核中，数字仍可能变化；"
                           "默认报告为最近一个完整月份。"),
    "sig_provisional": ("This period is provisional, so the change may still move.",
                        "本期为暂定数据，该变化仍可能改变。"),
    "trend_provisional": ("Hollow points, dashed: provisional months (more than 5% still pending).",
                          "空心点、虚线：暂定月份（超过 5% 仍在审核中）。"),
    "days": ("days", "天"),
    "waived_title": ("Median interest and penalties waived, per route (approved requests with a "
                     "waived amount)", "各方式减免金额中位数（有减免金额的批准申请）"),
    "yuan": ("yuan", "元"),
    "plans_title": ("What became of granted plans (by route granted), this period and a year earlier",
                    "已批准计划的履约情况（按批准方式），本期与去年同期"),
    "plans_note": ("Plans granted a year earlier have had a year to complete or break; recent "
                   "plans are mostly still active.", "去年同期的计划已运行约一年；近期计划大多仍在履约中。"),
    "segments_intro": ("Approval rate (all routes together) by the situation of the person asking, "
                       "this period. These are descriptive: groups also differ in the routes they "
                       "ask for and in other ways.",
                       "本期按申请人情况分组的批准率（全部方式合计）。仅为描述：各组所申请的方式及其他方面也不同。"),
    "agents": ("Do paid agents help? Requests through a third-party agent: {agent}; all requests: "
               "{overall}.", "付费代理有用吗？经第三方代理的申请批准率：{agent}；全部申请：{overall}。"),
    "seg_documents_submitted": ("Documents submitted (of income proof, bank statements, hardship "
                                "evidence)", "提交材料数（收入证明、银行流水、困难证明）"),
    "seg_broke_prior_agreement": ("Broke an earlier agreement", "曾违反还款协议"),
    "seg_overdue_bucket": ("Days overdue when asking", "申请时逾期天数"),
    "seg_prior_overdues_bucket": ("Overdue episodes in the 12 months before", "近 12 月逾期次数"),
    "seg_channel": ("Channel", "申请渠道"),
    "seg_product": ("Product", "产品"),
    "seg_region": ("Region", "地区"),
    "table_rows": ("{rows} rows", "{rows} 行"),
    "hidden_parts": ("suppressed parts", "已隐去部分"),
    "chart_all_suppressed": ("Not drawn: every row of “{chart}” is suppressed.",
                             "未绘制：“{chart}”的每一行均已隐去。"),
    "unavailable": ("This section is unavailable: {why}", "本节暂缺：{why}"),
    "no_model": ("no approval model has been promoted in this home (run `relief train`).",
                 "尚无已启用的审批模型（请运行 `relief train`）。"),
    "no_guide": ("the guide (`pipelines.approval.guide.expectations`) is not available: {err}",
                 "预期指南（`pipelines.approval.guide.expectations`）不可用：{err}"),
    "expect_intro": ("For a few typical situations, the model's estimate of the chance that a "
                     "request by each route is approved or partly approved, with a 90% range of "
                     "that estimate, and how many similar past requests were decided. Estimates "
                     "describe past lender decisions, not a promise.",
                     "以下为几种典型情况下，模型估计的各方式获批（含部分批准）概率、该估计的 90% 区间，"
                     "以及已决定的相似历史申请数。估计反映过往贷款机构的决定，并非承诺。"),
    "profile": ("situation", "情况"),
    "probability": ("estimated chance", "估计概率"),
    "similar_cases": ("similar decided requests", "相似已决定申请"),
    "similar_approval_rate": ("approved among them", "其中获批比例"),
    "plain": ("{route}: about {p} in 100 (between {lo} and {hi})", "{route}：约 {p}%（{lo}–{hi}%）"),
    "prof_first_docs": ("First-time overdue, 45 days behind, with all documents",
                        "首次逾期 45 天，材料齐全"),
    "prof_repeat_nodocs": ("Repeat overdue (4+ times in a year), 120 days behind, no documents",
                           "一年内多次逾期（4 次以上），逾期 120 天，未提交材料"),
    "prof_broke": ("Broke an earlier agreement, 60 days behind, income proof only",
                   "曾违反还款协议，逾期 60 天，仅有收入证明"),
    "model_version": ("version", "版本"),
    "model_window": ("trained on {cases} decided requests applied for from {start} to {end}",
                     "训练数据：{start} 至 {end} 申请的 {cases} 件已决定申请"),
    "model_holdout": ("tested on {cases} later requests ({start} to {end})",
                      "测试数据：其后 {cases} 件申请（{start} 至 {end}）"),
    "model_chosen": ("model", "模型"),
    "roc_auc": ("ROC AUC", "ROC AUC"),
    "brier_skill": ("Brier skill", "Brier 技能分"),
    "ece": ("calibration error (ECE)", "校准误差（ECE）"),
    "log_loss": ("log loss", "对数损失"),
    "cases": ("cases", "件数"),
    "observed_rate": ("observed", "实际"),
    "mean_predicted": ("predicted", "预测"),
    "predicted_range": ("predicted range", "预测区间"),
    "group": ("group", "分组"),
    "calibration_title": ("Calibration: predicted against observed approval (holdout)",
                          "校准：预测与实际批准率（测试集）"),
    "predicted": ("predicted", "预测"),
    "observed": ("observed", "实际"),
    "limits": ("Limits (from the model card)", "局限（摘自模型卡，英文原文）"),
    "batches": ("Batches loaded", "已载入批次"),
    "batch_id": ("batch", "批次"),
    "ingested_on": ("ingested", "载入日期"),
    "source": ("source", "来源"),
    "status": ("status", "状态"),
    "rows_read": ("rows read", "读取行数"),
    "rows_loaded": ("loaded", "载入"),
    "rows_quarantined": ("quarantined", "隔离"),
    "rows_skipped": ("skipped", "跳过"),
    "quarantine_title": ("Rows quarantined, by column and rule (all batches)", "按列与规则统计的隔离行（全部批次）"),
    "column_name": ("column", "列"),
    "rule": ("rule", "规则"),
    "quarantined_rows": ("rows", "行数"),
    "none_quarantined": ("No row has been quarantined.", "没有被隔离的行。"),
    "unknown_title": ("Unknown (empty) values per column, requests of this period",
                      "本期申请中各列的未知（空）值"),
    "unknown": ("unknown", "未知"),
    "unknown_share": ("share unknown", "未知比例"),
    "method_intro": ("Every figure can be reproduced with a read-only query on `data/relief.duckdb` "
                     "(for example `relief sql \"...\"`); the queries below (sql/report/ in the "
                     "package) are exactly the text that ran. Counts of a quarter are the sums of "
                     "its months. The marts and macros named here live in that database.",
                     "所有数字均可在 `data/relief.duckdb` 上以只读查询复现（例如 `relief sql \"...\"`）；"
                     "下列查询即实际运行的文本。季度计数为其各月之和。下文提及的汇总表与宏均在该数据库中。"),
    "method_counts": ("Headline, outcomes, trend, segments, plans: counts from `period_cells`, "
                      "suppressed, then rates from `period_rates`: approval rate = approved / "
                      "(approved + rejected) with `wilson_low` / `wilson_high`, broken share = "
                      "broken / (completed + active + broken); for one month the counts equal the "
                      "mart `route_outcomes_monthly`.",
                      "概要、结果、趋势、分组、计划：计数来自 `period_cells`，经抑制后由 `period_rates` "
                      "计算比率：批准率 = 批准 /（批准 + 拒绝），区间用 `wilson_low` / `wilson_high`；"
                      "违约比例 = 已违约 /（已结清 + 履约中 + 已违约）；单月计数与汇总表 "
                      "`route_outcomes_monthly` 一致。"),
    "method_others": ("Significant changes: `period_comparison` (Holm's correction: the `holm` "
                      "macro, as the mart `period_change`). Time to decision and waived amounts: "
                      "`period_route_stats` (as `route_outcomes`). Data quality: `quality_batches`, "
                      "`quality_quarantine`, `quality_unknown`. Realistic expectations: "
                      "`pipelines.approval.guide`; the model: `models/<version>/metadata.json`.",
                      "显著变化：`period_comparison`（Holm 校正用 `holm` 宏，与汇总表 `period_change` "
                      "相同）。决定天数与减免金额：`period_route_stats`（与 `route_outcomes` 相同）。"
                      "数据质量：`quality_batches`、`quality_quarantine`、`quality_unknown`。合理预期："
                      "`pipelines.approval.guide`；模型：`models/<version>/metadata.json`。"),
    "figure": ("figure", "图表"),
    "query": ("query", "查询"),
    "suppression_method": (
        "Small-cell suppression: every count of people from 1 to {threshold_less} is hidden. Zeros "
        "are shown: a zero describes nobody, so a hidden count is always at least 1. Counts are "
        "linked (outcome classes add up to requests, routes and segment values add up to the "
        "period total, plans add up to approved requests, months add up to their quarter), so "
        "more counts are hidden until no hidden count can be worked out exactly from the shown "
        "ones, even with the knowledge that counts are whole numbers and hidden ones at least 1 "
        "(checked by linear programming). Those extra counts are chosen to lose the least: "
        "ordinary counts first (withdrawn, pending, status unknown), then totals, and the counts "
        "an approval rate or broken share comes from last, the smallest first. A month is "
        "protected on its own, so it is hidden the same way in every report that shows it; a "
        "quarter is protected together with its three months. A rate, interval, median or share "
        "is shown only when the counts it comes from are shown. Counts of rows in files and "
        "batches (data quality) describe files, not people, and are shown as they are.",
        "小单元格抑制：1 至 {threshold_less} 的人数计数一律隐去。零照常显示：零不涉及任何人，因此隐去的计数至少为 1。"
        "计数之间相互关联（各结果相加为申请数，各方式和各分组相加为本期合计，各计划相加为批准数，各月相加为季度），"
        "因此再隐去部分计数，直至任何隐去的计数都无法由已显示的数字精确推算（即使已知计数为整数且隐去者至少为 1，"
        "经线性规划检验）。追加隐去的计数以损失最小为准：先隐去一般计数（撤回、审核中、状态未知），其次为合计，"
        "批准率或违约比例所依据的计数最后，同类中先隐去较小者。每个月单独保护，因此在所有报告中隐去方式相同；"
        "季度与其三个月一并保护。比率、区间、中位数及比例仅在其所依据的计数显示时才显示。文件与批次的行数"
        "（数据质量）描述的是文件而非人，按原数显示。"),
}


def t(lang: str, key: str, **values) -> str:
    en, zh = TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


# Chinese for every code a report shows: the contract's labels for values (its first
# label; app has none there), its column names, and the report's own codes (derived
# columns, batch statuses and sources, quarantine rules, model names).
_ENUMS = (contract.ROUTES, contract.CHANNELS, contract.PRODUCTS, contract.OUTCOMES,
          contract.PLAN_STATUSES, contract.HARDSHIP_REASONS)
_VALUE_ZH = {
    **{k: contract.zh_label(enum, k) for enum in reversed(_ENUMS) for k in enum},
    **{c.name: c.zh for c in contract.COLUMNS},
    "app": "手机应用", "true": "是", "false": "否", "unknown": "未知", "*": "全部方式",
    "documents_submitted": "提交材料数", "overdue_bucket": "申请时逾期天数",
    "prior_overdues_bucket": "近12月逾期次数", "source": "来源", "row": "整行",
    "loaded": "已载入", "unchanged": "未变化", "refused": "已拒收",
    "canonical": "标准格式", "cfpb": "CFPB 投诉数据", "synthetic": "合成数据",
    "required": "必填项为空", "date_format": "日期格式错误", "enumeration": "不在取值范围内",
    "boolean": "布尔值格式错误", "number_format": "数字格式错误", "integer_format": "整数格式错误",
    "minimum": "低于下限", "maximum": "超过上限", "pattern": "格式不符", "too_long": "过长",
    "decided_before_applied": "决定早于申请", "pending_with_decision": "审核中却有决定日期",
    "duplicate_case_id": "案件编号重复", "personal_data": "含个人信息",
    "logistic_regression": "逻辑回归", "gradient_boosting": "梯度提升",
}
_VALUE_EN = {"*": "all routes", "true": "yes", "false": "no"}
_CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def value_label(lang: str, value: str) -> str:
    """A display label for a code: a value of the contract, a column name, a status or
    rule (other values, such as region names, as they are). English spells a code's
    underscores as spaces."""
    if value.startswith("prof_") and value in TEXT:  # a typical situation of section 4
        return t(lang, value)
    if lang == "zh":
        return _VALUE_ZH.get(value, value)
    if value in _VALUE_EN:
        return _VALUE_EN[value]
    return value.replace("_", " ") if _CODE.match(value) else value
