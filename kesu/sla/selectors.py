"""Reads for deadlines: a store's business calendar and a case's targets."""

from __future__ import annotations

from kesu.accounts.models import Store
from kesu.cases.models import Case
from kesu.sla.calendar import BusinessCalendar, WorkingDaysMeaning, office_calendar
from kesu.sla.models import CalendarDay, SlaTarget, StoreCalendar, parse_period
from kesu.sla.policies import CaseTerms, TargetRule, choose_target


def calendar_for_store(store: Store) -> BusinessCalendar:
    """The store's business calendar; office hours in its zone when none is set."""
    row = StoreCalendar.objects.filter(store=store).first()
    if row is None:
        return office_calendar(store.time_zone)
    days = list(CalendarDay.objects.filter(calendar=row).values_list("day", "is_open"))
    return BusinessCalendar(
        time_zone=store.time_zone,
        week=tuple(
            tuple(parse_period(pair) for pair in periods) for periods in row.week
        ),
        observes_public_holidays=row.observes_public_holidays,
        closed_days=frozenset(day for day, is_open in days if not is_open),
        extra_open_days=frozenset(day for day, is_open in days if is_open),
        working_days_meaning=WorkingDaysMeaning(row.working_days_meaning),
    )


def target_rules() -> list[TargetRule]:
    """Every target of every active policy, flattened for `choose_target`."""
    rows = SlaTarget.objects.filter(policy__is_active=True).values_list(
        "pk",
        "policy_id",
        "kind",
        "amount",
        "unit",
        "policy__severity",
        "policy__category_id",
        "resolution_types",
    )
    return [
        TargetRule(pk, policy, kind, amount, unit, severity, category, tuple(types))
        for pk, policy, kind, amount, unit, severity, category, types in rows
    ]


def case_terms(case: Case, *, resolution_type: str = "") -> CaseTerms:
    """The facts of the case that decide which targets apply."""
    return CaseTerms(
        severity=case.severity,
        category_id=case.category_id,
        subcategory_id=case.subcategory_id,
        resolution_type=resolution_type,
    )


def case_target(
    case: Case,
    kind: str,
    *,
    resolution_type: str = "",
    rules: list[TargetRule] | None = None,
) -> TargetRule | None:
    """The target of this kind that applies to the case now."""
    terms = case_terms(case, resolution_type=resolution_type)
    return choose_target(target_rules() if rules is None else rules, terms, kind)
