"""CFPB consumer-complaint records (being written: issue 8)."""

from __future__ import annotations

from pipelines.sources import SourcePlan
from pipelines.sources.files import Refused

SOURCE = "cfpb"


def matches(headers: list[str]) -> bool:
    return False


def plan(headers: list[str]) -> SourcePlan:
    raise Refused("the cfpb source is not available yet")
