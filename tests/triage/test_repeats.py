"""Repeat complaints (R-CL-5): linked to the earlier case, one step more severe."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kesu.cases.models import Case, Product, Severity
from kesu.cases.services import case_classify
from kesu.triage.selectors import repeat_stats
from kesu.triage.services import case_repeat_link
from kesu.triage.services.repeats import repeat_earlier, severity_raised
from tests.factories import make_case, top_category


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(code="washer-x1", name="洗衣机X1")


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("before", "after"),
    [("general", "urgent"), ("urgent", "major"), ("major", "major")],
)
def test_severity_rises_one_step(before, after):
    assert severity_raised(before) == after


def test_same_customer_same_product_is_linked_and_raised(agent, store, product):
    """R-CL-5: linked to the earlier case, flagged, severity one step up."""
    earlier = make_case(
        by=agent, store=store, product=product, received_at=days_ago(10)
    )
    case = make_case(by=agent, store=store, product=product)

    case = case_repeat_link(case=case)

    assert case.severity == Severity.URGENT
    event = case.events.get(type="case.repeat_linked")
    assert event.actor is None
    assert event.data["earlier"] == earlier.pk
    assert event.data["earlier_number"] == earlier.number
    assert event.data["match"] == "product"
    raised = case.events.get(type="case.classified")
    assert raised.data["repeat_of"] == earlier.pk


def test_same_category_counts_as_the_same_subject(agent, store):
    category = top_category("logistics")
    earlier = make_case(
        by=agent, store=store, category=category, received_at=days_ago(3)
    )
    case = make_case(by=agent, store=store, category=category)

    assert repeat_earlier(case) == earlier


def test_customer_found_by_email_blind_index_is_the_same(agent, store, product):
    """Two customer rows with one e-mail are one person (blind index)."""
    make_case(
        by=agent,
        store=store,
        product=product,
        customer_phone="",
        customer_email="li@example.com",
        received_at=days_ago(2),
    )
    case = make_case(
        by=agent,
        store=store,
        product=product,
        customer_phone="13700002222",
        customer_email="",
    )
    case.customer.email_index = Case.objects.order_by("pk").first().customer.email_index
    case.customer.save(update_fields=["email_index"])

    assert repeat_earlier(case) is not None


def test_complaint_outside_the_window_is_no_repeat(agent, store, product, settings):
    settings.KESU_REPEAT_WINDOW_DAYS = 7
    make_case(by=agent, store=store, product=product, received_at=days_ago(8))
    case = make_case(by=agent, store=store, product=product)

    case = case_repeat_link(case=case)

    assert case.severity == Severity.GENERAL
    assert not case.events.filter(type="case.repeat_linked").exists()


def test_other_customer_or_other_subject_is_no_repeat(agent, store, product):
    make_case(
        by=agent,
        store=store,
        product=product,
        customer_phone="13911112222",
        received_at=days_ago(1),
    )
    make_case(
        by=agent,
        store=store,
        category=top_category("logistics"),
        received_at=days_ago(1),
    )
    case = make_case(by=agent, store=store, product=product)

    assert repeat_earlier(case) is None


def test_case_without_product_or_category_is_no_repeat(agent, store):
    make_case(by=agent, store=store, received_at=days_ago(1))
    case = make_case(by=agent, store=store)

    assert repeat_earlier(case) is None


def test_repeat_is_linked_once(agent, store, product):
    make_case(by=agent, store=store, product=product, received_at=days_ago(1))
    case = make_case(by=agent, store=store, product=product)

    case_repeat_link(case=case)
    case_repeat_link(case=case)

    case.refresh_from_db()
    assert case.severity == Severity.URGENT
    assert case.events.filter(type="case.repeat_linked").count() == 1


def test_staff_severity_stands_when_raising_is_not_allowed(
    agent, store, handler, product
):
    make_case(by=agent, store=store, product=product, received_at=days_ago(1))
    case = make_case(by=agent, store=store, product=product)
    case_classify(
        case=case,
        by=handler,
        category=None,
        subcategory=None,
        severity=Severity.GENERAL,
        impact_grade="B",
    )

    case = case_repeat_link(case=case, may_raise=False)

    assert case.events.filter(type="case.repeat_linked").exists()
    assert case.severity == Severity.GENERAL


def test_repeat_found_at_intake(
    agent, store, product, django_capture_on_commit_callbacks
):
    """The intake task links repeats after classifying."""
    make_case(by=agent, store=store, product=product, received_at=days_ago(5))

    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(by=agent, store=store, product=product)

    assert case.events.filter(type="case.repeat_linked").exists()


def test_repeat_rate_counts_linked_cases(agent, store, product):
    make_case(by=agent, store=store, product=product, received_at=days_ago(1))
    case_repeat_link(case=make_case(by=agent, store=store, product=product))
    make_case(by=agent, store=store, customer_phone="13655556666")

    stats = repeat_stats(cases=Case.objects.all())

    assert (stats.cases, stats.repeats) == (3, 1)
    assert stats.rate == pytest.approx(1 / 3)


def test_repeat_rate_of_no_cases_is_zero(db):
    stats = repeat_stats(cases=Case.objects.none())

    assert (stats.cases, stats.repeats, stats.rate) == (0, 0, 0.0)
