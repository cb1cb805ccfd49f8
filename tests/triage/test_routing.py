"""Routing (R-CL-4): rules choose the department, the lightest workload the handler."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kesu.accounts.models import Role
from kesu.cases.models import Case, Product, Severity
from kesu.cases.services import case_classify
from kesu.triage.models import RoutingRule
from kesu.triage.services import case_route, case_route_apply
from kesu.triage.services.routing import handler_pick, routing_rule_for
from tests.factories import StoreFactory, UserFactory, make_case, top_category


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(code="washer-x1", name="洗衣机X1")


def test_most_specific_rule_wins(after_sales, logistics, store, product):
    pq = top_category("product_quality")
    RoutingRule.objects.create(category=pq, department=logistics)
    specific = RoutingRule.objects.create(
        category=pq, product=product, department=after_sales
    )

    rule = routing_rule_for(category_id=pq.pk, product_id=product.pk, store_id=store.pk)

    assert rule == specific


def test_rule_for_another_product_or_store_does_not_match(after_sales, store, product):
    RoutingRule.objects.create(product=product, department=after_sales)
    RoutingRule.objects.create(store=StoreFactory(), department=after_sales)

    rule = routing_rule_for(category_id=None, store_id=store.pk)

    assert rule is None


def test_equally_specific_rules_follow_priority(after_sales, logistics):
    pq = top_category("product_quality")
    RoutingRule.objects.create(category=pq, department=logistics, priority=50)
    first = RoutingRule.objects.create(category=pq, department=after_sales, priority=10)

    assert routing_rule_for(category_id=pq.pk) == first


def test_inactive_rule_is_ignored(after_sales):
    pq = top_category("product_quality")
    RoutingRule.objects.create(category=pq, department=after_sales, is_active=False)

    assert routing_rule_for(category_id=pq.pk) is None


def test_subcategory_of_another_category_is_refused(after_sales):
    rule = RoutingRule(
        category=top_category("logistics"),
        subcategory=top_category("product_quality").children.first(),
        department=after_sales,
    )

    with pytest.raises(ValidationError):
        rule.full_clean()


def test_handler_with_least_weighted_open_work_is_picked(agent, store, after_sales):
    """One major case (5) weighs more than two general ones (2)."""
    busy = UserFactory(role=Role.HANDLER, departments=[after_sales])
    calm = UserFactory(role=Role.HANDLER, departments=[after_sales])
    make_case(
        by=agent, store=store, department=after_sales, assignee=busy, severity="major"
    )
    for _ in range(2):
        make_case(by=agent, store=store, department=after_sales, assignee=calm)

    assert handler_pick(after_sales) == calm


def test_absent_and_other_department_handlers_are_skipped(
    after_sales, logistics, other_handler
):
    absent = UserFactory(role=Role.HANDLER, departments=[after_sales], is_absent=True)
    present = UserFactory(role=Role.HANDLER, departments=[after_sales])

    picked = handler_pick(after_sales)

    assert picked == present
    assert picked not in (absent, other_handler)


def test_department_without_present_handler_gets_no_assignee(after_sales):
    UserFactory(role=Role.HANDLER, departments=[after_sales], is_absent=True)

    assert handler_pick(after_sales) is None


def test_case_is_routed_and_first_contact_owner_stays(agent, store, handler):
    """R-CL-4: the department and handler change, the owner (首问负责) does not."""
    rule = RoutingRule.objects.create(
        category=top_category("product_quality"), department=handler.departments.get()
    )
    case = make_case(by=agent, store=store, category=top_category("product_quality"))

    assert case_route_apply(case=case) is True

    case.refresh_from_db()
    assert (case.department, case.assignee, case.owner) == (
        rule.department,
        handler,
        agent,
    )
    event = case.events.get(type="case.assigned")
    assert event.actor is None
    assert event.data["routing"] == {"rule": rule.pk}


def test_case_with_a_department_is_not_rerouted(agent, store, after_sales, logistics):
    RoutingRule.objects.create(department=logistics)
    case = make_case(by=agent, store=store, department=after_sales)

    assert case_route_apply(case=case) is False

    case.refresh_from_db()
    assert case.department == after_sales


def test_case_matching_no_rule_stays_unrouted(agent, store):
    case = make_case(by=agent, store=store)

    assert case_route_apply(case=case) is False
    assert not case.events.filter(type="case.assigned").exists()


def test_new_case_arrives_classified_and_routed(
    agent, store, logistics, other_handler, django_capture_on_commit_callbacks
):
    """The shipped model classifies, the rule routes, all after the commit."""
    RoutingRule.objects.create(category=top_category("logistics"), department=logistics)

    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(
            by=agent, store=store, description="快递三天还没到，物流太慢了"
        )

    case.refresh_from_db()
    assert case.category.code == "logistics"
    assert (case.department, case.assignee, case.owner) == (
        logistics,
        other_handler,
        agent,
    )


def test_staff_classification_routes_an_unrouted_case(
    agent, store, handler, django_capture_on_commit_callbacks
):
    RoutingRule.objects.create(
        category=top_category("after_sales"), department=handler.departments.get()
    )
    case = make_case(by=agent, store=store)

    with django_capture_on_commit_callbacks(execute=True):
        case_classify(
            case=case,
            by=handler,
            category=top_category("after_sales"),
            subcategory=None,
            severity=Severity.GENERAL,
            impact_grade=case.impact_grade,
        )

    case.refresh_from_db()
    assert (case.department, case.assignee) == (handler.departments.get(), handler)


def test_route_task_for_a_missing_case_does_nothing(db):
    assert case_route(case_id=987654) is False
    assert not Case.objects.exists()
