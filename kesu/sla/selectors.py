"""Reads for deadlines: a store's business calendar and a case's targets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from kesu.accounts.models import Store
from kesu.cases.models import Case
from kesu.sla.calendar import BusinessCalendar, WorkingDaysMeaning, office_calendar
from kesu.sla.models import (
    CalendarDay,
    Clock,
    SlaTarget,
    StoreCalendar,
    TargetKind,
    parse_period,
)
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


KIND_ORDER = [kind.value for kind in TargetKind]


@dataclass(frozen=True)
class Deadline:
    """A clock as people see it: what is due when, and how it stands."""

    kind: str
    label: str
    due_at: dt.datetime
    state: str  # ok, warning, breached, paused, met, met_late, stopped
    started_at: dt.datetime
    paused_at: dt.datetime | None
    met_at: dt.datetime | None
    amount: int
    unit: str

    @property
    def is_open(self) -> bool:
        return self.state in ("ok", "warning", "breached", "paused")


def clock_state(clock: Clock, now: dt.datetime) -> str:
    """How a clock stands at `now`: the colour of its badge."""
    if clock.met_at is not None:
        return "met_late" if clock.breached_at or clock.met_at > clock.due_at else "met"
    if clock.stopped_at is not None:
        return "stopped"
    if clock.paused_at is not None:
        return "paused"
    if clock.breached_at is not None or now >= clock.due_at:
        return "breached"
    span = (clock.due_at - clock.started_at).total_seconds()
    first_warning = min(clock.warning_percents or [100]) / 100
    used = (now - clock.started_at).total_seconds() / span if span > 0 else 1
    if clock.checkpoints_done > 0 or used >= first_warning:
        return "warning"
    return "ok"


def _deadline(clock: Clock, now: dt.datetime) -> Deadline:
    return Deadline(
        kind=clock.kind,
        label=str(TargetKind(clock.kind).label),
        due_at=clock.due_at,
        state=clock_state(clock, now),
        started_at=clock.started_at,
        paused_at=clock.paused_at,
        met_at=clock.met_at,
        amount=clock.amount,
        unit=clock.unit,
    )


def case_deadlines(case: Case, *, now: dt.datetime | None = None) -> list[Deadline]:
    """Every clock of the case, in the order of the workflow."""
    now = now or timezone.now()
    clocks = sorted(
        Clock.objects.filter(case=case), key=lambda c: KIND_ORDER.index(c.kind)
    )
    return [_deadline(clock, now) for clock in clocks]


def next_deadlines(
    case_ids: list[int], *, now: dt.datetime | None = None
) -> dict[int, Deadline]:
    """For each case, its most pressing open clock (one query for a page of cases).

    Running clocks come before paused ones, the earliest due first.
    """
    now = now or timezone.now()
    clocks = Clock.objects.filter(case_id__in=case_ids, stopped_at__isnull=True)
    chosen: dict[int, Clock] = {}
    for clock in clocks:
        current = chosen.get(clock.case_id)
        if current is None or _urgency(clock) < _urgency(current):
            chosen[clock.case_id] = clock
    return {case_id: _deadline(clock, now) for case_id, clock in chosen.items()}


def _urgency(clock: Clock) -> tuple[bool, dt.datetime]:
    return (clock.paused_at is not None, clock.due_at)


def late_clock_q(now: dt.datetime, prefix: str = "") -> Q:
    """Clocks that missed their due time: breached, met late, or running past due."""

    def field(name: str) -> str:
        return f"{prefix}{name}"

    return (
        Q(**{field("breached_at__isnull"): False})
        | Q(**{field("met_at__gt"): F(field("due_at"))})
        | Q(
            **{
                field("stopped_at__isnull"): True,
                field("paused_at__isnull"): True,
                field("due_at__lt"): now,
            }
        )
    )


def breaching_soon_q(now: dt.datetime) -> Q:
    """Cases with a running clock that is overdue or due within the warning horizon."""
    horizon = now + dt.timedelta(hours=settings.KESU_SLA_SOON_HOURS)
    return Q(
        clocks__stopped_at__isnull=True,
        clocks__paused_at__isnull=True,
        clocks__due_at__lte=horizon,
    )


COMPLIANCE_GROUPS = ("department", "store", "person", "week", "month")
_GROUP_FIELDS = {
    "department": "case__department",
    "store": "case__store",
    "person": "case__assignee",
    "week": "period",
    "month": "period",
}


@dataclass(frozen=True)
class ComplianceRow:
    """On-time figures of one group: how many deadlines fell due, how many were met."""

    key: object  # the department/store/user id, or the period's first day
    response_due: int
    response_on_time: int
    resolution_due: int
    resolution_on_time: int

    @property
    def response_missed(self) -> int:
        return self.response_due - self.response_on_time

    @property
    def resolution_missed(self) -> int:
        return self.resolution_due - self.resolution_on_time

    @property
    def response_rate(self) -> float | None:
        return _rate(self.response_on_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolution_on_time, self.resolution_due)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compliance(
    *,
    cases: QuerySet[Case],
    group: str,
    received_from: dt.date,
    received_to: dt.date,
    now: dt.datetime | None = None,
) -> list[ComplianceRow]:
    """Response- and resolution-on-time figures of `cases`, grouped (R-SLA-5).

    Counts the deadlines of cases received in the period that are decided: met (on
    time or late) or missed. Deadlines still running inside their time are left out,
    so a young period is not flattered. One set-based query.
    """
    now = now or timezone.now()
    clocks = Clock.objects.filter(
        case__in=cases,
        case__received_at__date__gte=received_from,
        case__received_at__date__lte=received_to,
        kind__in=[TargetKind.RESPONSE, TargetKind.RESOLUTION],
    ).filter(Q(met_at__isnull=False) | late_clock_q(now))
    if group in ("week", "month"):
        trunc = TruncWeek if group == "week" else TruncMonth
        clocks = clocks.annotate(period=trunc("case__received_at"))
    on_time = Q(met_at__isnull=False) & ~late_clock_q(now)
    rows = (
        clocks.values(_GROUP_FIELDS[group])
        .annotate(
            response_due=Count("pk", filter=Q(kind=TargetKind.RESPONSE)),
            response_on_time=Count("pk", filter=Q(kind=TargetKind.RESPONSE) & on_time),
            resolution_due=Count("pk", filter=Q(kind=TargetKind.RESOLUTION)),
            resolution_on_time=Count(
                "pk", filter=Q(kind=TargetKind.RESOLUTION) & on_time
            ),
        )
        .order_by(_GROUP_FIELDS[group])
    )
    return [
        ComplianceRow(
            key=_period_day(row[_GROUP_FIELDS[group]]),
            response_due=row["response_due"],
            response_on_time=row["response_on_time"],
            resolution_due=row["resolution_due"],
            resolution_on_time=row["resolution_on_time"],
        )
        for row in rows
    ]


def _period_day(key: object) -> object:
    return key.date() if isinstance(key, dt.datetime) else key
