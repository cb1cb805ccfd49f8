"""Reads of cases, always scoped to the user (R-SEC-1): out of scope is not found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import search
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    CaseEvent,
    CaseQuerySet,
    CollaborationRequest,
    Customer,
    HandlingPlan,
    Visibility,
)
from kesu.cases.services.workflow import case_facts, current_plan
from kesu.cases.workflow import (
    CLOSED_STATES,
    PLANNING_STATES,
    REASON_GIVEN,
    Status,
    allowed_actions,
    failed_guards,
)
from kesu.core.errors import NotFound
from kesu.sla.selectors import breaching_soon_q, late_clock_q


def case_scope(user: User) -> Q:
    """The cases a user may see: everything, their part of the organisation, or own.

    The user's departments and stores are read first and put in the query as
    lists: with sub-queries there, PostgreSQL estimated them blindly and read
    every collaboration request (107k at 1M cases) to build the helped cases'
    set on each query; with the departments' ids it reads only theirs, through
    the index on `department_id`, and each other branch is an indexed column.
    """
    if has_capability(user, Capability.CASE_SEE_ALL):
        return Q()
    own = Q(owner=user) | Q(assignee=user)
    if user.role not in (Role.SUPERVISOR, Role.HANDLER, Role.AGENT):
        return own
    if user.role == Role.AGENT:
        return own | _in_stores(user)
    mine = list(user.departments.values_list("pk", flat=True))
    # A department asked to help on a case (R-WF-3) must be able to read it.
    asked = CollaborationRequest.objects.filter(department__in=mine)
    departments = Q(department__in=mine) | Q(pk__in=asked.values("case_id"))
    if user.role == Role.SUPERVISOR:
        # Supervisors route new cases (R-CL-4), so they also see those not yet given
        # to any department, and everything received in their stores.
        return own | departments | Q(department__isnull=True) | _in_stores(user)
    return own | departments


def _in_stores(user: User) -> Q:
    return Q(store__in=list(user.stores.values_list("pk", flat=True)))


def _scoped(user: User) -> CaseQuerySet:
    if not user.is_active:
        return Case.objects.none()
    return Case.objects.filter(case_scope(user))


@dataclass
class CaseFilters:
    """The filters of the case list, in the UI and the API alike."""

    status: list[str] | None = None
    category: int | None = None
    severity: str = ""
    department: int | None = None
    store: int | None = None
    assignee: int | None = None
    owner: int | None = None
    channel: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    text: str = ""
    # A work queue: "mine", "team", "unassigned", "breaching" or "triage"; empty = all.
    queue: str = ""
    # Only cases whose deadline of this kind was missed ("response", "resolution" …).
    breached: str = ""


def _queue(user: User, queue: str) -> Q:
    if queue == "mine":
        return Q(owner=user) | Q(assignee=user)
    if queue == "team":
        return Q(department__in=user.departments.values("pk"))
    if queue == "unassigned":
        return Q(assignee__isnull=True)
    if queue == "breaching":
        return breaching_soon_q(timezone.now())
    if queue == "triage":
        # Open cases nobody (no person, no confident model) has classified yet.
        return Q(category__isnull=True) & ~Q(status__in=CLOSED_STATES)
    return Q()


def _day_start(day: dt.date | None, *, next_day: bool = False) -> dt.datetime | None:
    # From year 1 or up to year 9999 bounds nothing, and those instants may not
    # exist in UTC.
    if day is None or day.year == (dt.MAXYEAR if next_day else dt.MINYEAR):
        return None
    if next_day:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def case_list(*, user: User, filters: CaseFilters | None = None) -> CaseQuerySet:
    """Cases in the user's scope matching the filters, newest first."""
    f = filters or CaseFilters()
    queryset = _scoped(user).with_list_relations()
    exact = {
        "category_id": f.category,
        "severity": f.severity,
        "department_id": f.department,
        "store_id": f.store,
        "assignee_id": f.assignee,
        "owner_id": f.owner,
        "channel": f.channel,
        # Day bounds as instants, not `received_at__date`: a range on the column
        # can use its indexes, a date cast of it cannot. Days are local (current
        # time zone), as `__date` reads them.
        "received_at__gte": _day_start(f.received_from),
        "received_at__lt": _day_start(f.received_to, next_day=True),
    }
    queryset = queryset.filter(
        **{k: v for k, v in exact.items() if v not in (None, "")}
    )
    if f.status:
        queryset = queryset.filter(status__in=f.status)
    if f.queue:
        queryset = queryset.filter(_queue(user, f.queue))
    if f.breached:
        # One filter() call: kind and lateness must hold for the same clock.
        late = late_clock_q(timezone.now(), prefix="clocks__")
        queryset = queryset.filter(late, clocks__kind=f.breached)
    if f.text.strip():
        queryset = search.filter_by_text(queryset, f.text)
    if f.queue == "breaching":
        # The most pressing first; a case has one clock per kind, so no duplicates.
        soonest = Min("clocks__due_at", filter=breaching_soon_q(timezone.now()))
        return queryset.annotate(soonest_due=soonest).order_by("soonest_due", "id")
    return queryset.order_by("-received_at", "-id")


@dataclass(frozen=True)
class CaseSearch:
    """The text search of a case list: the list without its text filter, the text."""

    scope: CaseQuerySet
    text: str


def case_search(*, user: User, filters: CaseFilters) -> CaseSearch | None:
    """The list's text search, for `case_rows`; None when the text has no words."""
    if not search.tokens(filters.text):
        return None
    scope = case_list(user=user, filters=replace(filters, text=""))
    return CaseSearch(scope=scope, text=filters.text)


# The relations joined into a page's rows. With the owner and the assignee too
# (eight tables), PostgreSQL spent 10-30 ms choosing a join order for a query
# that then ran in under 1 ms; the people come in one query of their own.
_ROW_JOINS = ("customer", "store", "category", "subcategory", "department")


def case_rows(
    cases: CaseQuerySet,
    start: int,
    stop: int,
    *,
    text_search: CaseSearch | None = None,
    many: bool = False,
) -> list[Case]:
    """The cases from start to stop of a list, in its order.

    The ids are sorted and sliced first, without the joined relations; only the
    page's rows are then loaded with them. Sorting a whole scope or search result
    joined to its customers, stores and people is what made large lists slow.
    With `text_search` (and `many`: more than `search.MANY_MATCHES` cases match),
    the search picks how to find the page's ids (`search.newest_ids`).
    """
    if text_search is None:
        ids = list(cases.values_list("pk", flat=True)[start:stop])
    else:
        ids = search.newest_ids(
            scope=text_search.scope,
            matching=cases,
            text=text_search.text,
            start=start,
            stop=stop,
            many=many,
        )
    # The ids already match the text: loading them through the search's scope
    # keeps the planner from preferring the text's index to the 25 ids.
    loaded = cases if text_search is None else text_search.scope
    joined = loaded.order_by().select_related(None).select_related(*_ROW_JOINS)
    rows = joined.filter(pk__in=ids).in_bulk()
    _load_people(list(rows.values()))
    return [rows[pk] for pk in ids if pk in rows]


def _load_people(cases: list[Case]) -> None:
    """Set each case's owner and assignee from one query (see `_ROW_JOINS`)."""
    people = User.objects.in_bulk(
        {pk for case in cases for pk in (case.owner_id, case.assignee_id)} - {None}
    )
    for case in cases:
        case.owner = people[case.owner_id]
        case.assignee = people.get(case.assignee_id)


if TYPE_CHECKING:
    _Paginator = Paginator[Case]
else:  # Django's Paginator takes no type argument at run time.
    _Paginator = Paginator


class CasePaginator(_Paginator):
    """Pages of a case list, loaded by `case_rows`; the count can be capped.

    With `count_cap`, at most that many cases are counted: counting all of a large
    scope scans it on every page. `capped` then says that there are more.
    `text_search` is the list's search (`case_search`), if any.
    """

    def __init__(
        self,
        cases: CaseQuerySet,
        per_page: int,
        *,
        count_cap: int | None = None,
        text_search: CaseSearch | None = None,
    ) -> None:
        super().__init__(cases, per_page)
        self.cases = cases
        self.count_cap = count_cap
        self.text_search = text_search

    @cached_property
    def _counted(self) -> int:
        if self.count_cap is None:
            return self.cases.count()
        return self.cases.order_by().values("pk")[: self.count_cap + 1].count()

    @cached_property
    def count(self) -> int:
        """The number of cases, or `count_cap` when there are more."""
        if self.count_cap is None:
            return self._counted
        return min(self._counted, self.count_cap)

    @property
    def capped(self) -> bool:
        """True when the list holds more cases than `count` says."""
        return self.count_cap is not None and self._counted > self.count_cap

    def page(self, number: int | str) -> Page[Case]:
        """The page's cases, each loaded with its list relations."""
        page = super().page(number)
        start = page.start_index() - 1 if self.count else 0
        page.object_list = case_rows(
            self.cases,
            start,
            page.end_index(),
            text_search=self.text_search,
            many=self._counted > search.MANY_MATCHES,
        )
        return page


def customer_case_list(*, user: User, customer: Customer) -> CaseQuerySet:
    """The customer's cases that the user may see, newest first."""
    return (
        _scoped(user)
        .filter(customer=customer)
        .select_related("category", "subcategory", "store")
        .order_by("-received_at", "-id")
    )


def case_get(*, user: User, number: str) -> Case:
    """One case by number, or NotFound when it does not exist or is out of scope."""
    # The list's joins, not all nine tables: PostgreSQL spent 5-20 ms planning
    # that join for a row it then found in 0.2 ms. The people come in a query of
    # their own, the product (when there is one) on first use.
    case = _scoped(user).select_related(*_ROW_JOINS).filter(number=number).first()
    if case is None:
        raise NotFound(_("No case %(number)s.") % {"number": number})
    _load_people([case])
    return case


def case_timeline(*, case: Case, user: User) -> QuerySet[CaseEvent]:
    """The case's events in order; internal ones only for roles that may see them."""
    events = case.events.select_related("actor").order_by("created_at", "id")
    if not has_capability(user, Capability.CASE_SEE_INTERNAL):
        events = events.filter(visibility=Visibility.CUSTOMER)
    return events


def case_available_actions(
    *, case: Case, user: User, plans: Sequence[HandlingPlan] | None = None
) -> frozenset[str]:
    """What the user may do on the case now: workflow actions and work items.

    Keys are `workflow.Action` values plus the work items verification,
    plan_propose, plan_decide, feedback, assign, handover, classify, unmask, note,
    communication, collaboration_request and collaboration_answer. The workflow
    table and the role capabilities decide; guards are left to the services and
    `case_blocked_actions`, so a refused step is explained instead of hidden.
    `plans`: all the case's plans, when the caller has them (one query fewer).
    """
    can = {cap: has_capability(user, cap) for cap in Capability}
    status = Status(case.status)
    is_open = status not in CLOSED_STATES
    can_work = can[Capability.CASE_WORK]
    if plans is None:
        plan = current_plan(case)
    else:
        # current_plan's order: the newest proposal, the highest id among equals.
        plan = max(plans, key=lambda p: (p.proposed_at, p.pk), default=None)
    found: set[str] = set()
    if can_work:
        found.update(action.value for action in allowed_actions(status))
        found.update({"note", "communication", "collaboration_answer"})
    rules = {
        "verification": can_work
        and status in {Status.VERIFYING, Status.AWAITING_CUSTOMER},
        "plan_propose": can_work and status in PLANNING_STATES,
        "plan_decide": can[Capability.CASE_APPROVE_COMPENSATION]
        and plan is not None
        and plan.approval_status == ApprovalStatus.PENDING,
        "feedback": can_work and status == Status.FEEDBACK,
        "assign": can[Capability.CASE_ASSIGN] and is_open,
        "handover": can[Capability.CASE_HANDOVER]
        or (can_work and case.owner_id == user.pk),
        "classify": can_work and is_open,
        "unmask": can[Capability.PII_UNMASK],
        "collaboration_request": can_work and is_open,
    }
    found.update(name for name, allowed in rules.items() if allowed)
    return frozenset(found)


def case_blocked_actions(*, case: Case) -> dict[str, str]:
    """Workflow steps the case cannot take yet, with the guard's explanation.

    A missing reason is left out: the step's form asks for it.
    """
    facts = case_facts(case)
    blocked = {}
    for action in allowed_actions(facts.status):
        failed = [g for g in failed_guards(facts, action) if g is not REASON_GIVEN]
        if failed:
            blocked[action.value] = str(failed[0].message)
    return blocked
