"""The cases endpoints: create, list, detail, workflow and work on a case (issue 2)."""

from __future__ import annotations

import datetime as dt

import pytest

from kesu.accounts.models import Role
from kesu.accounts.permissions import ROLE_CAPABILITIES, Capability
from kesu.cases.models import ApprovalStatus, Case, CaseEvent, Customer
from kesu.cases.services import note_add
from tests.factories import StoreFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.KESU_COMPENSATION_APPROVAL_THRESHOLD = 500


def new_case_body(store, **overrides):
    body = {
        "store": store.code,
        "description": "洗衣机脱水时噪音很大，还漏水。",
        "customer_name": "张三",
        "customer_phone": "13812341234",
        "customer_email": "zhang.san@example.com",
        "category": "product_quality",
        "severity": "urgent",
        "department": "after-sales",
    }
    body.update(overrides)
    return body


def test_create_returns_201_with_masked_customer_and_token_user_as_owner(
    api_as, agent, store, after_sales
):
    """R-IN-2, R-CL-4, R-SEC-2."""
    response = api_as(agent).post("/cases", new_case_body(store))

    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert case.owner == agent
    assert case.department == after_sales
    assert case.category.code == "product_quality"
    assert body["customer"] == {
        "name": "张**",
        "phone": "138****1234",
        "email": "z***@example.com",
        "address": "",
    }
    assert body["status"] == "received"
    assert body["store"]["code"] == store.code
    assert body["received_at"].endswith("+00:00")
    assert "verify" in body["allowed_actions"]
    assert case.events.get().data["via"] == "api"


def test_create_accepts_received_time_with_offset(api_as, agent, store, after_sales):
    response = api_as(agent).post(
        "/cases", new_case_body(store, received_at="2026-11-20T09:30:00+08:00")
    )

    assert response.status_code == 201
    assert response.json()["received_at"] == "2026-11-20T01:30:00+00:00"


def test_list_filters_by_status_severity_and_store(api_as, agent, store, manager):
    other_store = StoreFactory(code="bj-chaoyang")
    urgent = make_case(by=agent, store=store, severity="urgent")
    general = make_case(by=agent, store=store)
    elsewhere = make_case(by=agent, store=other_store, severity="urgent")
    client = api_as(manager)
    client.post(f"/cases/{general.number}/actions/verify")

    by_status = client.get("/cases", {"status": ["received", "handling"]}).json()
    by_severity = client.get("/cases", {"severity": "urgent"}).json()
    by_store = client.get("/cases", {"store": other_store.pk}).json()

    assert {c["number"] for c in by_status["items"]} == {
        urgent.number,
        elsewhere.number,
    }
    assert by_severity["count"] == 2
    assert [c["number"] for c in by_store["items"]] == [elsewhere.number]


def test_list_searches_chinese_full_text(api_as, agent, store, manager):
    """R-SE-1: segmented search finds 鼓包 inside 电池鼓包."""
    battery = make_case(by=agent, store=store, description="手机电池鼓包，后盖顶起来了")
    make_case(by=agent, store=store, description="洗衣机漏水")

    response = api_as(manager).get("/cases", {"q": "鼓包"})

    assert [c["number"] for c in response.json()["items"]] == [battery.number]


@pytest.mark.parametrize("many_matches", [1, 1_000])
def test_list_search_pages_keep_the_list_order_and_an_exact_count(
    monkeypatch, api_as, agent, store, manager, many_matches
):
    """Whichever way the search finds a page (`search.newest_ids`), same cases."""
    monkeypatch.setattr("kesu.cases.api.MANY_MATCHES", many_matches)
    leaks = [
        make_case(by=agent, store=store, description=f"洗衣机漏水 {n}").number
        for n in range(5)
    ]
    make_case(by=agent, store=store, description="冰箱不制冷")
    client = api_as(manager)

    pages = [
        client.get("/cases", {"q": "漏水", "limit": 2, "page": p}) for p in (1, 2, 3)
    ]

    assert {page.json()["count"] for page in pages} == {5}
    found = [c["number"] for page in pages for c in page.json()["items"]]
    assert found == list(reversed(leaks))


def test_list_paginates_with_limit_offset_and_page(api_as, agent, store, manager):
    numbers = [make_case(by=agent, store=store).number for _ in range(5)]
    newest_first = list(reversed(numbers))
    client = api_as(manager)

    by_offset = client.get("/cases", {"limit": 2, "offset": 2}).json()
    by_page = client.get("/cases", {"limit": 2, "page": 3}).json()

    assert by_offset["count"] == 5
    assert [c["number"] for c in by_offset["items"]] == newest_first[2:4]
    assert by_page["offset"] == 4
    assert [c["number"] for c in by_page["items"]] == newest_first[4:]


def test_list_limit_above_maximum_is_422(api_as, manager):
    response = api_as(manager).get("/cases", {"limit": 10_000})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "limit"


def test_list_with_unknown_status_names_the_query_field(api_as, manager):
    response = api_as(manager).get("/cases", {"status": ["received", "lost"]})

    detail = response.json()["error"]["details"][0]
    assert response.status_code == 422
    assert (detail["location"], detail["field"]) == ("query", "status.1")


def test_list_query_count_does_not_grow_with_cases(
    api_as, agent, store, manager, django_assert_max_num_queries
):
    for _ in range(6):
        make_case(by=agent, store=store)
    client = api_as(manager)

    # token lookup, last-used update, count, the page's ids, their rows, the
    # owners and assignees of those rows
    with django_assert_max_num_queries(6):
        response = client.get("/cases")

    assert response.json()["count"] == 6


def test_handler_of_another_department_gets_404_and_an_empty_list(
    api_as, agent, store, after_sales, other_handler
):
    """R-SEC-1: out of scope looks exactly like unknown."""
    case = make_case(by=agent, store=store, department=after_sales)
    client = api_as(other_handler)

    detail = client.get(f"/cases/{case.number}")
    unknown = client.get("/cases/KS-20000101-9999")
    action = client.post(f"/cases/{case.number}/actions/verify")
    listing = client.get("/cases").json()

    assert detail.status_code == 404
    assert detail.json()["error"]["code"] == "not_found"
    assert detail.json()["error"]["message"].replace(
        case.number, "X"
    ) == unknown.json()["error"]["message"].replace("KS-20000101-9999", "X")
    assert action.status_code == 404
    assert listing["count"] == 0


def test_detail_lists_events_and_plans(api_as, agent, store, after_sales, handler):
    case = make_case(by=agent, store=store, department=after_sales)
    client = api_as(handler)
    client.post(f"/cases/{case.number}/actions/verify")
    client.post(f"/cases/{case.number}/plans", plan_body(amount="50"))

    body = client.get(f"/cases/{case.number}").json()

    assert [e["type"] for e in body["events"]] == [
        "case.received",
        "case.transitioned",
        "plan.proposed",
    ]
    assert body["events"][1]["actor"]["username"] == "handler"
    assert body["plans"][0]["compensation_amount"] == "50.00"
    assert body["plans"][0]["approval_status"] == "not_required"


def test_internal_events_and_plans_hidden_from_roles_without_the_capability(
    api_as, agent, store, after_sales, handler, quality, monkeypatch
):
    """R-SEC-4: a role without case.see_internal sees customer-visible events only."""
    case = make_case(by=agent, store=store, department=after_sales)
    note_add(case=case, by=handler, text="内部：客户情绪激动")
    api_as(handler).post(f"/cases/{case.number}/plans", plan_body(amount="10"))
    monkeypatch.setitem(
        ROLE_CAPABILITIES, Role.QUALITY, frozenset({Capability.CASE_SEE_ALL})
    )

    body = api_as(quality).get(f"/cases/{case.number}").json()

    assert [e["type"] for e in body["events"]] == ["case.received"]
    assert body["plans"] == []


def plan_body(amount="800", resolution_type="compensation_cash"):
    return {
        "resolution_type": resolution_type,
        "description": "现金补偿并上门更换",
        "compensation_amount": amount,
        "responsibility": "manufacturer",
    }


def test_full_workflow_with_compensation_needing_approval(
    api_as, agent, store, after_sales, handler, supervisor
):
    """R-WF-1, R-WF-2: above the threshold, resolving waits for a supervisor."""
    number = api_as(agent).post("/cases", new_case_body(store)).json()["number"]
    worker = api_as(handler)
    lead = api_as(supervisor)
    case_path = f"/cases/{number}"

    assert worker.post(case_path + "/actions/verify").status_code == 200
    verified = worker.post(case_path + "/verification", {"result": "confirmed"})
    assert verified.json()["verification_result"] == "confirmed"
    assert worker.post(case_path + "/actions/handle").json()["status"] == "handling"
    plan = worker.post(case_path + "/plans", plan_body(amount="800"))
    assert plan.status_code == 201
    assert plan.json()["approval_status"] == ApprovalStatus.PENDING
    plan_id = plan.json()["id"]

    refused = worker.post(case_path + "/actions/resolve")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "approval_required"
    own_role = worker.post(f"{case_path}/plans/{plan_id}/decision", {"approve": True})
    assert own_role.status_code == 403

    approved = lead.post(f"{case_path}/plans/{plan_id}/decision", {"approve": True})
    assert approved.status_code == 200
    assert approved.json()["approval_status"] == ApprovalStatus.APPROVED
    assert approved.json()["decided_by"]["username"] == "supervisor"

    resolved = worker.post(
        case_path + "/actions/resolve",
        {"resolution_note": "已补偿", "customer_accepted": True},
    )
    assert resolved.json()["status"] == "feedback"
    assert resolved.json()["compensation_amount"] == "800.00"
    early = worker.post(case_path + "/actions/archive")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "feedback_required"
    feedback = worker.post(case_path + "/feedback", {"result": "satisfied"})
    assert feedback.json()["feedback_result"] == "satisfied"
    archived = worker.post(case_path + "/actions/archive")
    assert archived.json()["status"] == "archived"
    assert archived.json()["closed_at"].endswith("+00:00")
    assert archived.json()["allowed_actions"] == ["reopen"]


def test_supervisor_cannot_approve_own_plan(
    api_as, agent, store, after_sales, supervisor
):
    case = make_case(by=agent, store=store, department=after_sales)
    client = api_as(supervisor)
    client.post(f"/cases/{case.number}/actions/verify")
    plan_id = client.post(f"/cases/{case.number}/plans", plan_body()).json()["id"]

    response = client.post(
        f"/cases/{case.number}/plans/{plan_id}/decision", {"approve": True}
    )

    assert response.status_code == 403
    assert case.plans.get().approval_status == ApprovalStatus.PENDING


def test_deciding_a_superseded_plan_is_409_and_a_foreign_plan_404(
    api_as, agent, store, after_sales, handler, supervisor
):
    case = make_case(by=agent, store=store, department=after_sales)
    other = make_case(by=agent, store=store, department=after_sales)
    worker, lead = api_as(handler), api_as(supervisor)
    worker.post(f"/cases/{case.number}/actions/verify")
    first = worker.post(f"/cases/{case.number}/plans", plan_body()).json()["id"]
    worker.post(f"/cases/{case.number}/plans", plan_body(amount="900"))

    stale = lead.post(f"/cases/{case.number}/plans/{first}/decision", {"approve": True})
    foreign = lead.post(
        f"/cases/{other.number}/plans/{first}/decision", {"approve": True}
    )

    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "plan_superseded"
    assert foreign.status_code == 404


def test_reject_without_reason_is_409_naming_the_guard(api_as, agent, store):
    case = make_case(by=agent, store=store)

    response = api_as(agent).post(f"/cases/{case.number}/actions/reject", {})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reason_required"


def test_reject_with_reason(api_as, agent, store):
    case = make_case(by=agent, store=store)

    response = api_as(agent).post(
        f"/cases/{case.number}/actions/reject", {"reason": "重复投诉"}
    )

    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "重复投诉"


def test_supervisor_assigns_and_owner_hands_over(
    api_as, agent, store, after_sales, handler, supervisor
):
    """R-CL-4: assignment moves the work, handover moves ownership with a reason."""
    case = make_case(by=agent, store=store, department=after_sales)

    assigned = api_as(supervisor).post(
        f"/cases/{case.number}/assignment",
        {"department": after_sales.pk, "assignee": "handler"},
    )
    handed = api_as(agent).post(
        f"/cases/{case.number}/handover",
        {"new_owner": handler.pk, "reason": "调岗"},
    )

    assert assigned.status_code == 200
    assert assigned.json()["assignee"]["username"] == "handler"
    assert handed.json()["owner"]["username"] == "handler"


def test_agent_cannot_assign(api_as, agent, store, after_sales):
    case = make_case(by=agent, store=store)

    response = api_as(agent).post(
        f"/cases/{case.number}/assignment", {"department": "after-sales"}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_assignment_to_unknown_user_names_the_field(
    api_as, agent, store, after_sales, supervisor
):
    case = make_case(by=agent, store=store, department=after_sales)

    response = api_as(supervisor).post(
        f"/cases/{case.number}/assignment", {"assignee": "nobody"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "assignee"


def test_notes_and_communications_are_appended(api_as, agent, store):
    case = make_case(by=agent, store=store)
    client = api_as(agent)

    note = client.post(
        f"/cases/{case.number}/notes",
        {"text": "已回电，客户同意上门", "is_customer_visible": True},
    )
    call = client.post(
        f"/cases/{case.number}/communications",
        {"kind": "call", "summary": "电话沟通上门时间"},
    )
    bad_kind = client.post(
        f"/cases/{case.number}/communications", {"kind": "fax", "summary": "x"}
    )

    assert (note.status_code, call.status_code) == (201, 201)
    assert list(case.events.values_list("type", flat=True)) == [
        "case.received",
        "reply.sent",
        "communication.logged",
    ]
    assert bad_kind.status_code == 422
    assert bad_kind.json()["error"]["field"] == "kind"


def test_unmask_returns_plain_customer_data_and_is_audited(api_as, agent, store):
    """R-SEC-2."""
    case = make_case(by=agent, store=store, customer_address="上海市徐汇区漕溪北路1号")

    response = api_as(agent, ("cases:read",)).post(f"/cases/{case.number}/unmask")

    assert response.json() == {
        "name": "张三",
        "phone": "13812341234",
        "email": "",
        "address": "上海市徐汇区漕溪北路1号",
    }
    event = CaseEvent.objects.get(case=case, type="pii.unmasked")
    assert event.actor == agent
    assert "13812341234" not in str(event.data)


def test_unmask_refused_for_role_without_capability(api_as, agent, store, quality):
    case = make_case(by=agent, store=store)

    response = api_as(quality).post(f"/cases/{case.number}/unmask")

    assert response.status_code == 403
    assert not CaseEvent.objects.filter(type="pii.unmasked").exists()


def test_customer_data_is_never_in_clear_outside_unmask(api_as, agent, store):
    case = make_case(by=agent, store=store)
    client = api_as(agent)

    payloads = [
        client.get("/cases").content,
        client.get(f"/cases/{case.number}").content,
        client.post(f"/cases/{case.number}/actions/verify").content,
    ]

    assert all(b"13812341234" not in p for p in payloads)
    assert Customer.objects.count() == 1


def test_timestamps_are_iso_8601_with_offset(api_as, agent, store):
    case = make_case(by=agent, store=store)

    body = api_as(agent).get(f"/cases/{case.number}").json()

    for value in (body["received_at"], body["events"][0]["created_at"]):
        parsed = dt.datetime.fromisoformat(value)
        assert parsed.utcoffset() == dt.timedelta(0)


def test_detail_query_count_is_pinned(
    api_as, agent, store, manager, django_assert_num_queries
):
    case = make_case(by=agent, store=store)
    for _ in range(10):
        note_add(case=case, by=agent, text="备注")
    client = api_as(manager)

    # token lookup, last-used update, the case with its relations, its owner and
    # assignee, its events, its plans, its triage events: whatever the length of
    # the timeline
    with django_assert_num_queries(7):
        response = client.get(f"/cases/{case.number}")

    assert response.status_code == 200
    assert len(response.json()["events"]) >= 10
