"""The CFPB complaint mapping, as data: the one place it is written.

pipelines/sources/cfpb.py turns these tables into SQL; docs/sources/cfpb.md
explains each choice. Labels are the CFPB's own (Consumer Complaint Database),
compared after trimming, lowercasing and unifying apostrophes. Labels marked
"older export" do not occur in the shared files but appear in earlier CFPB
exports with the same meaning.
"""

from __future__ import annotations

SOURCE = "cfpb"
CASE_ID_PREFIX = "cfpb-"
CHANNEL = "regulator"  # every record is a complaint to a regulator

# The CSV export's column names and the API's snake_case names, per field.
# Compared with contract.normalize_header (case, spaces, _ and - ignored) after
# dropping a trailing "?".
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "complaint_id": ("Complaint ID", "complaint_id"),
    "date_received": ("Date received", "date_received"),
    "product": ("Product", "product"),
    "sub_product": ("Sub-product", "sub_product"),
    "issue": ("Issue", "issue"),
    "sub_issue": ("Sub-issue", "sub_issue"),
    "state": ("State", "state"),
    "company_response": ("Company response to consumer", "company_response"),
}
# Fields a file must have to be read as CFPB records (and to be recognised as one).
REQUIRED_FIELDS = ("complaint_id", "date_received", "product", "issue", "company_response")

# Date formats seen: ISO in the 2015-2020 export and the API, MM/DD/YY in the
# 2023 and 2025 exports, MM/DD/YYYY as spreadsheets re-save them. The API's
# ISO timestamps ("2023-03-22T12:00:00-05:00") are cut to their date first.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y")

# Spellings of "no value" (the 2023/2025 exports write empty sub-issues as None).
MISSING_VALUES = ("", "none", "n/a", "null")

# Product -> contract product. Products not listed are not credit a borrower
# repays (credit reports, debt collection, bank accounts, money transfer):
# their records are skipped.
PRODUCTS: dict[str, str] = {
    "Credit card or prepaid card": "credit_card",
    "Credit card": "credit_card",  # older export
    "Mortgage": "mortgage",
    "Student loan": "student_loan",
    "Vehicle loan or lease": "vehicle_loan",
    "Payday loan, title loan, or personal loan": "consumer_loan",
    "Payday loan, title loan, personal loan, or advance loan": "consumer_loan",
    "Payday loan": "consumer_loan",
    "Consumer Loan": "consumer_loan",  # older export
}

# Sub-product -> contract product, overriding the product's; None: not credit
# (prepaid cards are filed under "Credit card or prepaid card").
SUB_PRODUCTS: dict[str, str | None] = {
    "General-purpose prepaid card": None,
    "Government benefit card": None,
    "Gift card": None,
    "Payroll card": None,
    "Student prepaid card": None,
    "Vehicle loan": "vehicle_loan",  # older export, under "Consumer Loan"
    "Vehicle lease": "vehicle_loan",  # older export, under "Consumer Loan"
}

# Issues that make a credit record a relief request -> the route when the
# sub-issue says nothing more precise ("other": the request is clear, the
# route asked for is not).
RELIEF_ISSUES: dict[str, str] = {
    # struggling to pay
    "Struggling to pay your loan": "other",
    "Struggling to pay mortgage": "other",
    "Struggling to repay your loan": "other",
    "Struggling to pay your bill": "other",
    "Problems when you are unable to pay": "other",
    "Can't repay my loan": "other",  # older export
    # modification, mixed with collection and foreclosure in this older label
    "Loan modification,collection,foreclosure": "other",
    # fees and interest
    "Charged fees or interest you didn't expect": "interest_waiver",
    "Charged fees or interest I didn't expect": "interest_waiver",
    "Fees or interest": "interest_waiver",
    "Late fee": "interest_waiver",  # older export
    "APR or interest rate": "interest_waiver",  # older export
    "Other fee": "interest_waiver",  # older export
}

# Sub-issues that make a credit record a relief request whatever its issue,
# and fix its route (they win over RELIEF_ISSUES' route).
RELIEF_SUB_ISSUES: dict[str, str] = {
    # lowering payments
    "Problem lowering your monthly payments": "installment",
    "Denied request to lower payments": "installment",
    "Can't decrease my monthly payments": "installment",  # older export
    # delaying payments
    "Can't temporarily delay making payments": "deferral",
    "Can't temporarily postpone payments": "deferral",  # older export
    # fees and interest
    "Problem with fees": "interest_waiver",
    "Charged too much interest": "interest_waiver",
    "Unexpected increase in interest rate": "interest_waiver",
    "Don't agree with the fees charged": "interest_waiver",
    "Problem with the interest rate": "interest_waiver",
    "Problem with fees charged": "interest_waiver",
    # hardship without a named route
    "Can't get other flexible options for repaying your loan": "other",
    "Can't get flexible payment options": "other",  # older export
    "Credit card company won't work with you while you're going through financial hardship":
        "other",
}

# Company response to consumer -> contract outcome (docs/sources/cfpb.md says why).
# Unlisted or missing responses are left as they are and quarantined.
OUTCOMES: dict[str, str] = {
    "Closed with monetary relief": "approved",
    "Closed with non-monetary relief": "partial",
    "Closed with relief": "partial",  # older export: relief of an unstated kind
    "Closed with explanation": "rejected",
    "Closed without relief": "rejected",  # older export
    "Closed": "rejected",  # older export: closed with neither relief nor explanation
    "Untimely response": "rejected",
    "In progress": "pending",
}
