"""The case-record contract (docs/contract.md) as data.

This module is the one source for readers, validation, synthesis, SQL casts
and the data dictionary. It holds no logic beyond small lookups on that data.
Change it only by adding: analysts and data suppliers rely on every name here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- enumerations: canonical value -> Chinese label(s) ------------------------

PRODUCTS: dict[str, tuple[str, ...]] = {
    "revolving_credit": ("花呗",),
    "cash_loan": ("借呗",),
    "credit_card": ("信用卡",),
    "consumer_loan": ("消费贷",),
    "mortgage": ("房贷",),
    "student_loan": ("助学贷款",),
    "vehicle_loan": ("车贷",),
    "other": ("其他",),
}

ROUTES: dict[str, tuple[str, ...]] = {
    "installment": ("分期还款",),
    "deferral": ("延期还款",),
    "interest_waiver": ("部分免息/减免罚息", "部分免息", "减免罚息"),
    "interest_suspension": ("停息挂账",),
    "settlement": ("一次性结清减免",),
    "other": ("其他",),
}

CHANNELS: dict[str, tuple[str, ...]] = {
    "app": (),
    "hotline": ("客服电话",),
    "online_chat": ("在线客服",),
    "in_person": ("线下",),
    "third_party": ("第三方代理",),
    "regulator": ("监管投诉",),
}

HARDSHIP_REASONS: dict[str, tuple[str, ...]] = {
    "unemployment": ("失业",),
    "income_drop": ("收入下降",),
    "illness": ("疾病",),
    "business_failure": ("经营困难",),
    "family_emergency": ("家庭变故",),
    "disaster": ("灾害",),
    "over_indebted": ("多头负债",),
    "other": ("其他",),
}

AGE_BANDS: dict[str, tuple[str, ...]] = {
    "18-24": (),
    "25-34": (),
    "35-44": (),
    "45-54": (),
    "55-64": (),
    "65+": (),
}

OUTCOMES: dict[str, tuple[str, ...]] = {
    "approved": ("批准",),
    "partial": ("部分批准",),
    "rejected": ("拒绝",),
    "withdrawn": ("撤回",),
    "pending": ("审核中",),
}

PLAN_STATUSES: dict[str, tuple[str, ...]] = {
    "active": ("履约中",),
    "completed": ("已结清",),
    "broken": ("已违约",),
}

# Outcomes that count as a decision, and those that count as relief granted.
DECIDED_OUTCOMES = ("approved", "partial", "rejected")
GRANTED_OUTCOMES = ("approved", "partial")

# Boolean spellings (compared after trim + lowercase).
TRUE_SPELLINGS = ("true", "1", "yes", "y", "是")
FALSE_SPELLINGS = ("false", "0", "no", "n", "否")

# Accepted date formats (strptime), tried in order.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日")

CASE_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


def enum_type(values: tuple[str, ...]) -> str:
    """DuckDB's ENUM of these values, in this order (how DESCRIBE spells it)."""
    return "ENUM(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


# --- columns -------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    kind: str  # text | date | enum | decimal | integer | boolean
    required: bool
    meaning: str
    enum: dict[str, tuple[str, ...]] | None = None
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    # Columns that only become known after the lender decides; never a model feature.
    post_decision: bool = False
    # SQL type of the typed column in the warehouse; an enumeration's is its ENUM
    # (set below, from its values, as DuckDB spells it).
    sql_type: str = field(default="VARCHAR")

    def __post_init__(self) -> None:
        if self.enum:
            object.__setattr__(self, "sql_type", enum_type(tuple(self.enum)))


COLUMNS: tuple[Column, ...] = (
    Column("case_id", "案件编号", "text", True,
           "pseudonymous id of the request; never a person's real identifier",
           pattern=CASE_ID_PATTERN),
    Column("applied_on", "申请日期", "date", True, "when the request was made", sql_type="DATE"),
    Column("decided_on", "决定日期", "date", False,
           "when the lender decided; empty while pending; not before applied_on",
           post_decision=True, sql_type="DATE"),
    Column("product", "产品", "enum", True, "kind of credit", enum=PRODUCTS),
    Column("route", "减免方式", "enum", True, "relief route requested", enum=ROUTES),
    Column("channel", "申请渠道", "enum", False, "how it was requested", enum=CHANNELS),
    Column("outstanding_amount", "欠款金额", "decimal", False,
           "balance owed when requesting, yuan", minimum=0, sql_type="DECIMAL(18,2)"),
    Column("overdue_days", "逾期天数", "integer", False,
           "days past due when requesting", minimum=0, sql_type="INTEGER"),
    Column("prior_overdues_12m", "近12月逾期次数", "integer", False,
           "overdue episodes in the 12 months before", minimum=0, sql_type="INTEGER"),
    Column("good_history_months", "良好记录月数", "integer", False,
           "months of on-time history before this episode", minimum=0, sql_type="INTEGER"),
    Column("broke_prior_agreement", "曾违反还款协议", "boolean", False,
           "a previous relief or repayment agreement was broken", sql_type="BOOLEAN"),
    Column("hardship_reason", "困难原因", "enum", False, "stated cause", enum=HARDSHIP_REASONS),
    Column("doc_income_proof", "收入证明", "boolean", False,
           "income proof submitted", sql_type="BOOLEAN"),
    Column("doc_bank_statement", "银行流水", "boolean", False,
           "bank statements submitted", sql_type="BOOLEAN"),
    Column("doc_hardship_evidence", "困难证明", "boolean", False,
           "medical, unemployment or similar certificate submitted", sql_type="BOOLEAN"),
    Column("requested_months", "申请期数", "integer", False,
           "installments or deferral months asked for", minimum=1, maximum=60,
           sql_type="INTEGER"),
    Column("age_band", "年龄段", "enum", False, "age band, coarse on purpose", enum=AGE_BANDS),
    Column("region", "地区", "text", False,
           "province, state or similar: a name or short code; coarse on purpose"),
    Column("outcome", "结果", "enum", True,
           "the lender's decision; a pending case has no decided_on", enum=OUTCOMES),
    Column("granted_route", "批准方式", "enum", False,
           "what was granted; may differ from the route asked for", enum=ROUTES,
           post_decision=True),
    Column("granted_months", "批准期数", "integer", False, "months granted",
           minimum=1, maximum=60, post_decision=True, sql_type="INTEGER"),
    Column("waived_amount", "减免金额", "decimal", False,
           "interest and penalties waived, yuan", minimum=0, post_decision=True,
           sql_type="DECIMAL(18,2)"),
    Column("plan_status", "履约状态", "enum", False, "what became of a granted plan",
           enum=PLAN_STATUSES, post_decision=True),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

# --- derived buckets (labels; the SQL that assigns them is sql/schema/002_buckets.sql)

OVERDUE_BUCKETS = ("0-30", "31-90", "91-180", "181+", "unknown")
PRIOR_OVERDUES_BUCKETS = ("0", "1", "2-3", "4+", "unknown")
DOCUMENTS_SUBMITTED = ("0", "1", "2", "3", "unknown")
UNKNOWN = "unknown"

# Segments that route_outcomes_by_segment splits by (CASE-RECORDS.md).
SEGMENTS = (
    "source", "product", "channel", "overdue_bucket", "prior_overdues_bucket",
    "documents_submitted", "hardship_reason", "broke_prior_agreement", "age_band", "region",
)

# --- personal data ---------------------------------------------------------------

# Header names that are direct identifiers: a file carrying one is refused whole.
# Compared after normalize_header(); substrings in the second tuple also refuse.
IDENTIFIER_HEADERS = (
    "name", "fullname", "firstname", "lastname", "surname", "customername", "borrowername",
    "phone", "phonenumber", "mobile", "mobilenumber", "telephone", "tel", "cellphone",
    "idcard", "idcardnumber", "idnumber", "nationalid", "residentid", "ssn", "passport",
    "bankcard", "bankcardnumber", "cardnumber", "cardno", "accountnumber", "iban",
    "email", "emailaddress", "mail", "address", "homeaddress", "streetaddress",
    "姓名", "名字", "客户姓名", "借款人姓名", "手机号", "手机号码", "手机", "电话", "电话号码",
    "联系电话", "联系方式", "身份证", "身份证号", "身份证号码", "证件号", "证件号码",
    "银行卡", "银行卡号", "卡号", "账号", "邮箱", "电子邮箱", "电子邮件", "地址", "住址",
    "家庭住址", "联系地址", "详细地址",
)
IDENTIFIER_HEADER_PARTS = ("姓名", "手机", "身份证", "银行卡", "邮箱", "住址", "地址", "phone",
                           "email", "idcard", "cardnumber", "address")


def normalize_header(name: str) -> str:
    """Header comparison key: case, surrounding spaces and inner separators ignored."""
    return "".join(ch for ch in name.strip().lower() if ch not in " _-\ufeff\t")


def header_aliases() -> dict[str, str]:
    """normalized header -> canonical column name (English names and Chinese aliases)."""
    out: dict[str, str] = {}
    for c in COLUMNS:
        out[normalize_header(c.name)] = c.name
        out[normalize_header(c.zh)] = c.name
    return out


def is_identifier_header(name: str) -> bool:
    key = normalize_header(name)
    if key in header_aliases():
        return False
    return key in IDENTIFIER_HEADERS or any(p in key for p in IDENTIFIER_HEADER_PARTS)


def enum_spellings(enum: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """accepted spelling (lowercase) -> canonical value."""
    out: dict[str, str] = {}
    for value, labels in enum.items():
        out[value.lower()] = value
        for label in labels:
            out[label.lower()] = value
    return out


def zh_label(enum: dict[str, tuple[str, ...]], value: str) -> str:
    """The first Chinese label of a value, or the value itself when it has none."""
    labels = enum.get(value, ())
    return labels[0] if labels else value
