"""Personal-data detection and masking.

Detection is exact (check digits, Luhn) and decides which rows are quarantined.
Masking is deliberately broader than detection: any long digit run or
anything shaped like an e-mail address is replaced before a value is stored
in quarantine, written to a log or shown in a message, so a near-miss of a
real identifier is never written either.

The patterns are RE2-compatible (no look-around) so DuckDB can run the same
text in SQL; Python applies the exact checks on the few rows SQL flags.
"""

from __future__ import annotations

import re

# The shapes of every identifier below, RE2 syntax, for SQL prefiltering; the
# check digits (resident ID, Luhn) are then verified in Python on the few rows found.
PREFILTER_SQL = (
    r"@"
    r"|(^|[^0-9])(\+?86[ -]?)?1[3-9][0-9]([ -]?[0-9]{4}){2}($|[^0-9])"
    r"|(^|[^0-9])[0-9]{17}[0-9Xx]($|[^0-9A-Za-z])"
    r"|(^|[^0-9])([0-9]{13,19}|[0-9]{4}([ -][0-9]{4}){2,3}([ -]?[0-9]{1,3})?)($|[^0-9])"
)

EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
# For masking: eleven or more digits in a row, or groups as phones and cards are written.
LONG_NUMBER = r"\+?[0-9]{11,}[Xx]?|[0-9]{3,4}(?:[ -][0-9]{4}){2,}(?:[ -]?[0-9]{1,3})?"

MASK_SQL_STEPS = ((EMAIL, "[EMAIL]"), (LONG_NUMBER, "[NUMBER]"))

_EMAIL_RE = re.compile(EMAIL)
_LONG_NUMBER_RE = re.compile(LONG_NUMBER)
# Boundaries are digits only: a phone number glued to letters ("tel13812345678") still counts.
_MOBILE_RE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])")
_ID_RE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_CARD_RE = re.compile(
    r"(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -]?[0-9]{1,3})?)(?![0-9])"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_valid(text: str) -> bool:
    """Mainland resident ID (GB 11643): 17 digits and a check character."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17].upper()


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_personal_data(text: str | None) -> str | None:
    """The kind of personal identifier in text ('email', 'mobile', 'resident_id',
    'bank_card'), or None."""
    if not text:
        return None
    if _EMAIL_RE.search(text):
        return "email"
    if _MOBILE_RE.search(text):
        return "mobile"
    if any(resident_id_valid(m.group(0)) for m in _ID_RE.finditer(text)):
        return "resident_id"
    for match in _CARD_RE.finditer(text):
        if luhn_valid(match.group(0).replace(" ", "").replace("-", "")):
            return "bank_card"
    return None


def mask(text: str | None) -> str | None:
    """Replace anything shaped like an e-mail or a long number."""
    if text is None:
        return None
    return _LONG_NUMBER_RE.sub("[NUMBER]", _EMAIL_RE.sub("[EMAIL]", text))


def mask_sql(expr: str) -> str:
    """The same masking as mask(), as a DuckDB SQL expression over expr."""
    for pattern, replacement in MASK_SQL_STEPS:
        expr = f"regexp_replace({expr}, '{_sql_literal(pattern)}', '{replacement}', 'g')"
    return expr


def _sql_literal(text: str) -> str:
    return text.replace("'", "''")
