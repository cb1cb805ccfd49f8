"""Services: one transaction, one event per change; guards and permissions enforced."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from kesu.cases.models import ApprovalStatus, Case, CaseEvent, Customer
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
    note_add,
    plan_decide,
    plan_propose,
)
from kesu.cases.workflow import GuardFailed, Status, TransitionNotAllowed
from kesu.core.errors import InvalidInput, PermissionDenied
from tests.factories import StoreFactory, make_case, top_category

pytestmark = pytest.mark.django_db


def events_of(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("type", flat=True))


def take_to_handling(case: Case, by) -> Case:
    case = case_transition(case=case, action="verify", by=by)
    case = case_record_verification(
        case=case, result="confirmed", note="照片属实", by=by
    )
    return case_transition(case=case, action="handle", by=by)


def test_create_numbers_case_on_store_local_date_and_makes_agent_owner(agent, store):
    """R-IN-3, R-CL-4: KS-YYYYMMDD-NNNN in the store's zone; receiver is owner."""
    berlin = StoreFactory(code="berlin", time_zone="Europe/Berlin")
    late_evening_utc = dt.datetime(2026, 11, 21, 22, 30, tzinfo=dt.UTC)

    with time_machine.travel(late_evening_utc, tick=False):
        shanghai_case = make_case(by=agent, store=store)
        berlin_case = make_case(by=agent, store=berlin)

    assert shanghai_case.number == "KS-20261122-0001"
    assert berlin_case.number == "KS-20261121-0001"
    assert shanghai_case.owner == agent
    assert events_of(shanghai_case) == ["case.received"]


def test_numbers_count_up_within_a_day(agent, store):
    numbers = [make_case(by=agent, store=store).number for _ in range(3)]

    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]
    assert len({n[:11] for n in numbers}) == 1


def test_create_refuses_blank_description_with_field_and_saves_nothing(agent, store):
    with pytest.raises(InvalidInput) as error:
        make_case(by=agent, store=store, description="  ")

    assert error.value.field == "description"
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


def test_create_refuses_missing_contact(agent, store):
    with pytest.raises(InvalidInput) as error:
        make_case(by=agent, store=store, customer_phone="", customer_email="")

    assert error.value.field == "phone"


def test_create_reuses_customer_found_by_normalised_phone(agent, store):
    first = make_case(by=agent, store=store, customer_phone="138 1234 1234")
    second = make_case(by=agent, store=store, customer_phone="+86-138-1234-1234")

    assert first.customer_id == second.customer_id


def test_quality_role_cannot_receive_complaints(quality, store):
    with pytest.raises(PermissionDenied):
        make_case(by=quality, store=store)


def test_whole_life_appends_exactly_one_event_per_change(agent, supervisor, store):
    """R-WF-1, R-WF-2, R-SEC-4: every service call adds one event, in order."""
    case = make_case(by=agent, store=store)
    case = take_to_handling(case, agent)
    plan_propose(
        case=case,
        by=agent,
        resolution_type="compensation_cash",
        compensation_amount="800",
        description="赔偿现金800元",
        responsibility="manufacturer",
    )
    with pytest.raises(GuardFailed):
        case_transition(case=case, action="resolve", by=agent)
    plan_decide(case=case, by=supervisor, approve=True, note="同意")
    case = case_transition(
        case=case, action="resolve", by=agent, customer_accepted=True
    )
    case = case_record_feedback(
        case=case, result="satisfied", note="客户满意", by=agent
    )
    case = case_transition(case=case, action="archive", by=agent)

    assert case.status == Status.ARCHIVED
    assert case.compensation_amount == 800
    assert case.closed_at is not None
    assert events_of(case) == [
        "case.received",
        "case.transitioned",
        "case.verified",
        "case.transitioned",
        "plan.proposed",
        "plan.approved",
        "case.transitioned",
        "feedback.recorded",
        "case.transitioned",
    ]


def test_refused_transition_changes_nothing_and_appends_nothing(agent, store):
    case = make_case(by=agent, store=store)

    with pytest.raises(TransitionNotAllowed):
        case_transition(case=case, action="archive", by=agent)

    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    assert events_of(case) == ["case.received"]


def test_rejection_stores_reason(agent, store):
    case = make_case(by=agent, store=store)

    case = case_transition(case=case, action="reject", by=agent, reason="重复投诉")

    assert case.status == Status.REJECTED
    assert case.rejection_reason == "重复投诉"


def test_waiting_on_customer_returns_to_previous_status(agent, store):
    case = take_to_handling(make_case(by=agent, store=store), agent)

    case = case_transition(
        case=case, action="await_customer", by=agent, reason="请补充发票照片"
    )
    assert case.status == Status.AWAITING_CUSTOMER
    case = case_transition(case=case, action="resume", by=agent)

    assert case.status == Status.HANDLING
    assert case.status_before_wait == ""


def test_reopen_clears_feedback_and_counts(agent, store):
    case = take_to_handling(make_case(by=agent, store=store), agent)
    plan_propose(case=case, by=agent, resolution_type="repair", description="免费维修")
    case = case_transition(case=case, action="resolve", by=agent)
    case = case_record_feedback(
        case=case, result="dissatisfied", note="仍然漏水", by=agent
    )

    case = case_transition(case=case, action="reopen", by=agent, reason="客户不满意")

    assert case.status == Status.REOPENED
    assert case.feedback_result == ""
    assert case.reopen_count == 1
    assert (
        case_transition(case=case, action="handle", by=agent).status == Status.HANDLING
    )


def test_supervisor_cannot_approve_own_plan(supervisor, store):
    case = take_to_handling(make_case(by=supervisor, store=store), supervisor)
    plan_propose(
        case=case,
        by=supervisor,
        resolution_type="compensation_cash",
        compensation_amount="900",
        description="赔偿",
    )

    with pytest.raises(PermissionDenied):
        plan_decide(case=case, by=supervisor, approve=True)


def test_agent_cannot_approve_compensation(agent, handler, store):
    case = take_to_handling(make_case(by=agent, store=store), agent)
    plan = plan_propose(
        case=case,
        by=agent,
        resolution_type="compensation_cash",
        compensation_amount="900",
        description="赔偿",
    )

    with pytest.raises(PermissionDenied):
        plan_decide(case=case, by=handler, approve=True)

    plan.refresh_from_db()
    assert plan.approval_status == ApprovalStatus.PENDING


def test_assignment_keeps_first_contact_owner(
    agent, supervisor, handler, after_sales, store
):
    """R-CL-4 首问负责: delegating the work does not change the owner."""
    case = make_case(by=agent, store=store)

    case = case_assign(
        case=case, department=after_sales, assignee=handler, by=supervisor
    )

    assert case.owner == agent
    assert case.assignee == handler
    assert events_of(case)[-1] == "case.assigned"


def test_assignee_must_belong_to_department(
    agent, supervisor, other_handler, after_sales, store
):
    case = make_case(by=agent, store=store)

    with pytest.raises(InvalidInput) as error:
        case_assign(
            case=case, department=after_sales, assignee=other_handler, by=supervisor
        )

    assert error.value.field == "assignee"


def test_handover_needs_reason_and_is_audited(agent, handler, store):
    case = make_case(by=agent, store=store)

    with pytest.raises(InvalidInput):
        case_handover(case=case, new_owner=handler, reason="", by=agent)
    case = case_handover(case=case, new_owner=handler, reason="本人休假", by=agent)

    assert case.owner == handler
    event = case.events.get(type="case.handed_over")
    assert event.data == {"from": agent.pk, "to": handler.pk}
    assert event.actor == agent


def test_handler_who_is_not_owner_cannot_hand_over(
    agent, handler, other_handler, store
):
    case = make_case(by=agent, store=store)

    with pytest.raises(PermissionDenied):
        case_handover(case=case, new_owner=other_handler, reason="x", by=handler)


def test_classify_records_before_and_after(agent, store):
    case = make_case(by=agent, store=store)
    quality_cat = top_category("product_quality")
    fault = quality_cat.children.get(code="hardware_fault")

    case = case_classify(
        case=case,
        by=agent,
        category=quality_cat,
        subcategory=fault,
        severity="urgent",
        impact_grade="B",
    )

    event = case.events.get(type="case.classified")
    assert event.data["to"]["severity"] == "urgent"
    assert event.data["from"]["severity"] == "general"


def test_classify_refuses_subcategory_of_another_category(agent, store):
    case = make_case(by=agent, store=store)
    wrong_child = top_category("logistics").children.first()

    with pytest.raises(InvalidInput) as error:
        case_classify(
            case=case,
            by=agent,
            category=top_category("product_quality"),
            subcategory=wrong_child,
            severity="general",
            impact_grade="C",
        )

    assert error.value.field == "subcategory"


def test_unmask_returns_clear_data_and_audits_without_values(agent, store):
    """R-SEC-2: every unmask is an event; the event holds field names, not values."""
    case = make_case(by=agent, store=store, customer_email="zhang@example.com")

    revealed = case_unmask(case=case, by=agent)

    assert revealed["phone"] == "13812341234"
    event = case.events.get(type="pii.unmasked")
    assert event.actor == agent
    assert "13812341234" not in str(event.data)
    assert set(event.data["fields"]) == {"name", "phone", "email", "address"}


def test_quality_cannot_unmask(agent, quality, store):
    case = make_case(by=agent, store=store)

    with pytest.raises(PermissionDenied):
        case_unmask(case=case, by=quality)

    assert not case.events.filter(type="pii.unmasked").exists()


def test_collaboration_request_and_answer(agent, other_handler, logistics, store):
    """R-WF-3: a request to another department with its own due time."""
    case = make_case(by=agent, store=store)
    due = timezone.now() + dt.timedelta(hours=2)

    item = collaboration_request(
        case=case, by=agent, department=logistics, request="请核实物流轨迹", due_at=due
    )
    item = collaboration_answer(
        item=item, by=other_handler, response="已核实，包裹破损"
    )

    assert item.status == "done"
    assert events_of(case)[-2:] == ["collaboration.requested", "collaboration.answered"]


def test_only_the_asked_department_or_a_supervisor_answers_a_collaboration(
    agent, handler, other_handler, supervisor, logistics, store
):
    """R-WF-3: after-sales cannot close logistics' request for them."""
    case = make_case(by=agent, store=store)
    item = collaboration_request(
        case=case,
        by=agent,
        department=logistics,
        request="请核实物流轨迹",
        due_at=timezone.now() + dt.timedelta(hours=2),
    )

    with pytest.raises(PermissionDenied):
        collaboration_answer(item=item, by=handler, response="不是我们部门")

    item = collaboration_answer(item=item, by=supervisor, response="已催物流")
    assert item.answered_by == supervisor


def test_collaboration_due_in_the_past_is_refused(agent, logistics, store):
    case = make_case(by=agent, store=store)

    with pytest.raises(InvalidInput) as error:
        collaboration_request(
            case=case,
            by=agent,
            department=logistics,
            request="x",
            due_at=timezone.now() - dt.timedelta(minutes=1),
        )

    assert error.value.field == "due_at"


def test_notes_and_replies_have_their_visibility(agent, store):
    case = make_case(by=agent, store=store)

    note_add(case=case, by=agent, text="内部：客户情绪激动")
    note_add(
        case=case, by=agent, text="您好，已为您安排上门检测", is_customer_visible=True
    )
    communication_log(case=case, by=agent, kind="call", summary="电话安抚客户")

    visibilities = list(
        CaseEvent.objects.filter(case=case)
        .order_by("id")
        .values_list("type", "visibility")
    )
    assert visibilities[1:] == [
        ("note.added", "internal"),
        ("reply.sent", "customer"),
        ("communication.logged", "internal"),
    ]


def test_communication_kind_is_validated(agent, store):
    case = make_case(by=agent, store=store)

    with pytest.raises(InvalidInput) as error:
        communication_log(case=case, by=agent, kind="fax", summary="x")

    assert error.value.field == "kind"


def test_received_time_in_store_zone_is_kept_as_utc(agent, store):
    received = dt.datetime(2026, 11, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))

    case = make_case(by=agent, store=store, received_at=received)

    assert case.number.startswith("KS-20261101-")
    case.refresh_from_db()
    assert case.received_at == received
