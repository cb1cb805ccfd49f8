"""`kesu demo`: deterministic, consistent demo data that the rest of Kesu accepts."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from kesu.accounts.models import Department, Role, User
from kesu.cases import search
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Customer,
    HandlingPlan,
)
from kesu.cases.numbering import local_day
from kesu.cases.services import (
    case_assign,
    case_classify,
    case_handover,
    case_record_feedback,
    case_record_verification,
    case_transition,
    case_unmask,
    collaboration_answer,
    collaboration_request,
    communication_log,
    plan_decide,
    plan_propose,
)
from kesu.cases.workflow import PREVIOUS, TRANSITIONS, Action, Status
from kesu.demo import generator
from kesu.demo.users import DEMO_USERS, STAFF
from kesu.privacy import crypto
from kesu.sla.models import Clock
from tests.factories import make_case, top_category

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")
NUMBER = re.compile(r"^KS-(\d{8})-(\d{4})$")
CASES = 200


def load(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return load(cases=CASES)


@pytest.fixture
def small_demo() -> str:
    """Enough for checks that need a few cases, not the statistics."""
    return load(cases=30)


def test_loads_the_requested_number_of_cases_in_every_state(demo):
    counts = defaultdict(int)
    for status in Case.objects.values_list("status", flat=True):
        counts[status] += 1

    assert Case.objects.count() == CASES
    assert set(counts) == set(Status.values)
    assert all(counts[status] > 0 for status in Status.values)
    assert "Loaded 200 cases" in demo


def test_case_numbers_are_unique_and_follow_the_store_local_date(demo):
    """R-IN-3: KS-YYYYMMDD-NNNN on the receiving store's local date."""
    cases = list(Case.objects.select_related("store"))
    numbers = [case.number for case in cases]

    assert len(set(numbers)) == len(numbers)
    for case in cases:
        match = NUMBER.match(case.number)
        assert match, case.number
        assert match[1] == local_day(case.received_at, case.store.time_zone)
    assert {case.store.time_zone for case in cases} >= {"Asia/Urumqi", "Asia/Shanghai"}


def test_counters_hold_the_last_number_of_each_day(demo):
    last = defaultdict(int)
    for number in Case.objects.values_list("number", flat=True):
        day, sequence = NUMBER.match(number).groups()
        last[day] = max(last[day], int(sequence))

    assert dict(CaseNumberCounter.objects.values_list("day", "last")) == last


def test_a_case_created_afterwards_gets_the_next_free_number(small_demo):
    newest = Case.objects.select_related("store").order_by("-received_at").first()
    agent = User.objects.get(username="agent")
    day = local_day(newest.received_at, newest.store.time_zone)
    used = CaseNumberCounter.objects.get(day=day).last

    case = make_case(by=agent, store=newest.store, received_at=newest.received_at)

    assert case.number == f"KS-{day}-{used + 1:04d}"
    assert Case.objects.filter(number=case.number).count() == 1


def _replay(case: Case, events: list[CaseEvent]) -> None:
    """Walk the case's transitions through the workflow table, as the service would."""
    status, before_wait = Status.RECEIVED, None
    for event in events:
        if event.type != "case.transitioned":
            continue
        data = event.data
        assert data["from"] == status, case.number
        target = TRANSITIONS[(Status(data["from"]), Action(data["action"]))]
        if target is PREVIOUS:
            target = before_wait
        assert data["to"] == target, case.number
        if data["action"] == Action.AWAIT_CUSTOMER:
            before_wait = status
        status = Status(target)
    assert status == case.status, case.number


def test_timelines_are_ordered_and_lead_to_the_final_state(demo):
    now = timezone.now()
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("created_at", "id"):
        events[event.case_id].append(event)

    for case in Case.objects.all():
        timeline = events[case.pk]
        times = [event.created_at for event in timeline]
        assert timeline[0].type == "case.received"
        assert timeline[0].created_at == case.received_at
        assert times == sorted(times)
        own = [e.created_at for e in timeline if not e.type.startswith("sla.")]
        assert len(set(own)) == len(own)
        assert times[-1] <= now
        assert case.updated_at >= times[-1] - dt.timedelta(seconds=1)
        _replay(case, timeline)


def test_closed_and_resolved_cases_carry_their_fields(demo):
    archived = Case.objects.filter(status=Status.ARCHIVED)
    rejected = Case.objects.filter(status=Status.REJECTED)

    for case in archived:
        assert case.feedback_result
        assert case.resolution_type
        assert case.closed_at
        assert case.events.filter(
            type="case.transitioned", data__to=Status.ARCHIVED
        ).exists()
        assert case.events.filter(type="feedback.recorded").exists()
    for case in rejected:
        assert case.rejection_reason
        assert case.closed_at
    for case in Case.objects.filter(status=Status.AWAITING_CUSTOMER):
        assert case.status_before_wait in {Status.VERIFYING, Status.HANDLING}
    for case in Case.objects.filter(status=Status.REOPENED):
        assert case.reopen_count >= 1
        assert not case.feedback_result
        assert case.closed_at is None
    for case in Case.objects.filter(status=Status.HANDLING):
        assert case.verification_result


def test_resolved_cases_follow_their_approved_plan(demo):
    """R-WF-2: compensation above the threshold was approved by someone else."""
    resolved = Case.objects.exclude(resolved_at=None)
    threshold = Decimal(500)

    assert resolved.exists()
    for case in resolved:
        plan = case.plans.order_by("-proposed_at", "-id").first()
        assert plan.resolution_type == case.resolution_type
        assert plan.compensation_amount == case.compensation_amount
        if plan.compensation_amount > threshold:
            assert plan.approval_status == ApprovalStatus.APPROVED
            assert plan.decided_by != plan.proposed_by
            assert plan.decided_by.role in {Role.SUPERVISOR, Role.MANAGER}
    assert HandlingPlan.objects.filter(approval_status=ApprovalStatus.APPROVED).exists()


def _event_shapes(after_id: int = 0) -> dict[str, set[frozenset[str]]]:
    shapes = defaultdict(set)
    events = CaseEvent.objects.filter(id__gt=after_id)
    for type_, data in events.values_list("type", "data"):
        # What the deadline clocks did depends on timing; checked on its own below.
        shapes[type_].add(frozenset(data) - {"sla"})
    return shapes


def test_event_data_has_the_shapes_the_services_write(demo):
    demo_shapes = _event_shapes()
    last_demo_event = CaseEvent.objects.latest("id").id
    agent, lead = (
        User.objects.get(username="agent"),
        User.objects.get(username="manager"),
    )
    case = make_case(by=agent, store=Case.objects.first().store)
    case = case_assign(case=case, department=None, assignee=None, by=lead)
    case_classify(
        case=case,
        by=agent,
        category=top_category(),
        subcategory=None,
        severity="urgent",
        impact_grade="B",
    )
    case = case_handover(
        case=case, new_owner=User.objects.get(username="agent2"), reason="休假", by=lead
    )
    case = case_transition(case=case, action="verify", by=agent)
    case_unmask(case=case, by=agent)
    communication_log(case=case, by=agent, kind="call", summary="致电")
    item = collaboration_request(
        case=case,
        by=agent,
        department=Department.objects.get(code="logistics"),
        request="请提供签收记录",
        due_at=timezone.now() + dt.timedelta(days=2),
    )
    collaboration_answer(item=item, by=lead, response="已提供")
    case = case_record_verification(
        case=case, result="confirmed", note="属实", by=agent
    )
    case = case_transition(case=case, action="handle", by=agent)
    plan_propose(
        case=case,
        by=agent,
        resolution_type="compensation_cash",
        compensation_amount="800",
        description="赔偿",
    )
    plan_decide(case=case, by=lead, approve=True)
    case = case_transition(case=case, action="resolve", by=agent)
    case_record_feedback(case=case, result="satisfied", note="满意", by=agent)

    service_shapes = _event_shapes(after_id=last_demo_event)

    assert len(service_shapes) == 13
    for type_, shapes in service_shapes.items():
        assert demo_shapes[type_] == shapes, type_


def test_every_case_has_the_deadline_clocks_its_timeline_implies(demo):
    """R-SLA-3: demo clocks come from the deadline services, met or breached."""
    open_cases = Case.objects.exclude(status__in=[Status.ARCHIVED, Status.REJECTED])
    closed = Case.objects.filter(status__in=[Status.ARCHIVED, Status.REJECTED])

    assert not Case.objects.filter(clocks__isnull=True).exists()
    assert not Clock.objects.filter(case__in=closed, stopped_at__isnull=True).exists()
    assert Clock.objects.filter(case__in=open_cases, stopped_at__isnull=True).exists()
    assert Clock.objects.filter(met_at__isnull=False).exists()
    breached = Clock.objects.filter(breached_at__isnull=False)
    assert breached.exists()
    for clock in breached[:20]:
        assert clock.case.events.filter(
            type__in=["sla.breached", "sla.escalated"], data__kind=clock.kind
        ).exists()
    received = CaseEvent.objects.filter(type="case.received")
    assert all("sla" in event.data for event in received)


def test_customer_columns_hold_no_plaintext_and_some_customers_return(demo):
    """R-SEC-2: only Fernet tokens in the columns; phones found by blind index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, phone, address FROM cases_customer")
        raw = {row[0]: row[1:] for row in cursor.fetchall()}

    customers = list(Customer.objects.all())
    for customer in customers:
        stored = raw[customer.pk]
        assert customer.phone
        assert customer.address
        assert customer.name not in stored[0]
        assert customer.phone not in stored[1]
        assert stored[1].startswith("gAAAA")
        assert customer.phone_index == crypto.phone_index(customer.phone)
    repeat = [c for c in customers if c.cases.count() > 1]
    assert repeat


def test_full_text_search_finds_a_demo_case_by_a_chinese_word(small_demo):
    case = Case.objects.get(number=Case.objects.order_by("number").first().number)
    word = max(search.tokens(case.description), key=len)

    found = search.filter_by_text(Case.objects.all(), word)

    assert re.search(r"[\u4e00-\u9fff]", word)
    assert case in found
    assert found.count() < Case.objects.count()


def test_demo_users_log_in_with_the_published_passwords(small_demo, client):
    for username, password, _role, _name in DEMO_USERS:
        client.post(LOGIN, {"username": username, "password": password})
        assert client.session.get("_auth_user_id"), username
        client.logout()
    client.post(LOGIN, {"username": "agent", "password": "wrong"})

    assert "_auth_user_id" not in client.session
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert {user.role for user in STAFF} == set(Role.values)


def test_same_seed_gives_the_same_cases_and_another_seed_differs(db):
    refs = generator.ensure_reference_data(progress=lambda message: None)
    anchor = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)

    def cases(seed: int) -> list[tuple[str, str, str]]:
        planned, _customers = generator.plan_cases(
            refs, count=60, seed=seed, anchor=anchor
        )
        return [(p.case.number, p.case.description, p.case.status) for p in planned]

    assert cases(7) == cases(7)
    assert cases(7) != cases(8)


def test_running_twice_changes_nothing(small_demo):
    counts = (Case.objects.count(), CaseEvent.objects.count(), User.objects.count())

    output = load(cases=30)

    assert "already loaded" in output
    assert (
        Case.objects.count(),
        CaseEvent.objects.count(),
        User.objects.count(),
    ) == counts


def test_refuses_when_a_demo_username_is_taken(db):
    User.objects.create_user(username="admin", password="something-else-1")

    with pytest.raises(CommandError, match="admin"):
        load(cases=10)

    assert Case.objects.count() == 0


def test_refuses_a_negative_case_count(db):
    with pytest.raises(CommandError):
        load(cases=-1)
