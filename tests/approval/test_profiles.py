"""A profile as the guide reads it: the contract's spellings, Chinese labels, bounds."""

import math

import pytest

from pipelines.approval import profiles


def test_values_are_read_as_in_a_case_file():
    assert profiles.parse_value("route", "停息挂账") == "interest_suspension"
    assert profiles.parse_value("product", "花呗") == "revolving_credit"
    assert profiles.parse_value("doc_income_proof", "是") is True
    assert profiles.parse_value("doc_income_proof", "false") is False
    assert profiles.parse_value("overdue_days", "45") == 45.0
    assert profiles.parse_value("overdue_days", " ") is None
    assert profiles.parse_value("overdue_days", math.nan) is None


@pytest.mark.parametrize(("name", "value", "message"), [
    ("route", "forgiveness", "route must be one of"),
    ("overdue_days", "-5", "at least 0"),
    ("overdue_days", "4.5", "whole number"),
    ("overdue_days", "inf", "finite"),
    ("doc_income_proof", "maybe", "true or false"),
    ("outstanding_amount", True, "a number"),
])
def test_a_value_outside_the_contract_says_what_is_allowed(name, value, message):
    with pytest.raises(profiles.ProfileError, match=message):
        profiles.parse_value(name, value)


def test_a_profile_needs_route_and_product_and_keeps_only_model_features():
    with pytest.raises(profiles.ProfileError, match="product is required"):
        profiles.check_profile({"route": "deferral"})
    checked = profiles.check_profile({"route": "deferral", "product": "mortgage",
                                      "colour": "red"})
    assert "colour" not in checked and checked["overdue_days"] is None
