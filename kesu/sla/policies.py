"""Which SLA target applies to a case, and when it falls due (R-SLA-1).

Pure: the rules come in as plain values so the choice is testable without a database.
Precedence, most specific first (an admin can still shape it by what rows exist):
a resolution-type condition (the 10-working-day rule for repair/exchange/return beats
everything), then severity (an urgent case is never slower because of its category),
then sub-category, then top-level category, then the catch-all policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from kesu.sla.calendar import BusinessCalendar, add_business_time, add_working_days

RESOLUTION_TYPE_WEIGHT = 8
SEVERITY_WEIGHT = 4
SUBCATEGORY_WEIGHT = 2
CATEGORY_WEIGHT = 1


@dataclass(frozen=True)
class CaseTerms:
    """The facts of a case that decide its targets."""

    severity: str
    category_id: int | None
    subcategory_id: int | None
    resolution_type: str = ""


@dataclass(frozen=True)
class TargetRule:
    """One policy target, flattened with its policy's conditions."""

    target_id: int
    policy_id: int
    kind: str
    amount: int
    unit: str
    severity: str = ""
    category_id: int | None = None
    resolution_types: tuple[str, ...] = ()


def specificity(rule: TargetRule, terms: CaseTerms) -> int | None:
    """How specifically the rule fits the case, or None when it does not apply."""
    score = 0
    if rule.resolution_types:
        if terms.resolution_type not in rule.resolution_types:
            return None
        score += RESOLUTION_TYPE_WEIGHT
    if rule.severity:
        if rule.severity != terms.severity:
            return None
        score += SEVERITY_WEIGHT
    if rule.category_id is not None:
        if rule.category_id == terms.subcategory_id:
            score += SUBCATEGORY_WEIGHT
        elif rule.category_id == terms.category_id:
            score += CATEGORY_WEIGHT
        else:
            return None
    return score


def choose_target(
    rules: Iterable[TargetRule], terms: CaseTerms, kind: str
) -> TargetRule | None:
    """The most specific rule of this kind for the case; ties go to the oldest."""
    best: tuple[int, int, int] | None = None
    chosen = None
    for rule in rules:
        if rule.kind != kind:
            continue
        score = specificity(rule, terms)
        if score is None:
            continue
        rank = (score, -rule.policy_id, -rule.target_id)
        if best is None or rank > best:
            best, chosen = rank, rule
    return chosen


def due_at(
    start: dt.datetime, amount: int, unit: str, calendar: BusinessCalendar
) -> dt.datetime:
    """When a target of `amount` `unit`s started at `start` falls due."""
    if unit == "minutes":
        return start + dt.timedelta(minutes=amount)
    if unit == "hours":
        return start + dt.timedelta(hours=amount)
    if unit == "working_hours":
        return add_business_time(start, dt.timedelta(hours=amount), calendar)
    if unit == "working_days":
        return add_working_days(start, amount, calendar)
    raise ValueError(f"unknown duration unit: {unit}")
