"""R-SLA-1: which target applies, from the shipped default policy table."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kesu.cases.models import Category
from kesu.sla.calendar import office_calendar
from kesu.sla.models import CalendarDay, SlaPolicy, SlaTarget, StoreCalendar
from kesu.sla.policies import CaseTerms, TargetRule, choose_target, due_at
from kesu.sla.selectors import calendar_for_store, case_target, target_rules
from tests.factories import StoreFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def target_for(
    kind: str, severity: str, code: str, resolution_type: str = ""
) -> tuple[int, str]:
    cat = category(code)
    top, sub = (cat.parent, cat) if cat.parent else (cat, None)
    terms = CaseTerms(
        severity=severity,
        category_id=top.pk,
        subcategory_id=sub.pk if sub else None,
        resolution_type=resolution_type,
    )
    rule = choose_target(target_rules(), terms, kind)
    assert rule is not None
    return rule.amount, rule.unit


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("general", (30, "minutes")),
        ("urgent", (15, "minutes")),
        ("major", (5, "minutes")),
    ],
)
def test_first_response_target_follows_severity(severity, expected):
    """R-SLA-1: 一般 30 min, 紧急 15 min, 重大 5 min [001]."""
    assert target_for("response", severity, "other") == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("severity", "code", "expected"),
    [
        ("general", "other", (24, "hours")),
        ("urgent", "other", (8, "hours")),
        ("major", "safety", (8, "hours")),
        ("general", "product_quality", (3, "working_days")),
        ("general", "hardware_fault", (3, "working_days")),
        ("general", "fire_smoke", (3, "working_days")),
        ("general", "after_sales", (5, "working_days")),
        ("general", "delivery_delay", (5, "working_days")),
        ("urgent", "hardware_fault", (8, "hours")),
    ],
)
def test_resolution_target_by_severity_then_grade(severity, code, expected):
    """Grade 1 (quality, safety) 3 wd, grade 2 (after-sales, logistics) 5 wd [004]."""
    assert target_for("resolution", severity, code) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("resolution_type", ["repair", "exchange", "return_refund"])
def test_return_exchange_or_repair_gets_ten_working_days_whatever_else(resolution_type):
    """R-SLA-1: 退货、换货、维修 10 个工作日 [004 §四.3]."""
    for severity in ("general", "urgent"):
        got = target_for("resolution", severity, "hardware_fault", resolution_type)
        assert got == (10, "working_days")


@pytest.mark.django_db
def test_apology_resolution_keeps_the_category_target():
    assert target_for("resolution", "general", "after_sales", "apology") == (
        5,
        "working_days",
    )


@pytest.mark.django_db
def test_inactive_policy_is_ignored():
    SlaPolicy.objects.filter(severity="urgent").update(is_active=False)

    assert target_for("resolution", "urgent", "other") == (24, "hours")


@pytest.mark.django_db
def test_admin_policy_for_a_sub_category_beats_its_top_category():
    policy = SlaPolicy.objects.create(name="起火", category=category("fire_smoke"))
    SlaTarget.objects.create(policy=policy, kind="resolution", amount=1, unit="hours")

    assert target_for("resolution", "general", "fire_smoke") == (1, "hours")
    assert target_for("resolution", "general", "electric_shock") == (3, "working_days")


def test_ties_go_to_the_oldest_policy():
    rules = [
        TargetRule(target_id=2, policy_id=2, kind="plan", amount=2, unit="hours"),
        TargetRule(target_id=1, policy_id=1, kind="plan", amount=1, unit="hours"),
    ]
    terms = CaseTerms(severity="general", category_id=None, subcategory_id=None)

    assert choose_target(rules, terms, "plan").amount == 1
    assert choose_target(rules, terms, "follow_up") is None


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (30, "minutes", dt.datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI)),
        (24, "hours", dt.datetime(2026, 10, 1, 16, tzinfo=SHANGHAI)),
        # 2 open hours left on 30 Sept, then National Day (1–7 Oct), then 8 Oct.
        (4, "working_hours", dt.datetime(2026, 10, 8, 11, tzinfo=SHANGHAI)),
        # 8 Oct, 9 Oct, then the make-up Saturday 10 Oct, to its close.
        (3, "working_days", dt.datetime(2026, 10, 10, 18, tzinfo=SHANGHAI)),
    ],
)
def test_due_at_counts_each_unit(amount, unit, expected):
    start = dt.datetime(2026, 9, 30, 16, tzinfo=SHANGHAI)

    assert due_at(start, amount, unit, office_calendar()) == expected


def test_due_at_rejects_an_unknown_unit():
    with pytest.raises(ValueError, match="fortnights"):
        due_at(
            dt.datetime(2026, 1, 5, tzinfo=SHANGHAI), 1, "fortnights", office_calendar()
        )


@pytest.mark.django_db
def test_store_without_calendar_gets_office_hours_in_its_own_zone():
    store = StoreFactory(code="urumqi", time_zone="Asia/Urumqi")

    calendar = calendar_for_store(store)

    assert calendar.time_zone == "Asia/Urumqi"
    assert calendar == office_calendar("Asia/Urumqi")


@pytest.mark.django_db
def test_store_calendar_with_lunch_break_and_own_closed_day():
    store = StoreFactory(code="gz", time_zone="Asia/Shanghai")
    row = StoreCalendar.objects.create(
        store=store,
        week=[[["10:00", "12:00"], ["14:00", "21:00"]]] * 7,
        observes_public_holidays=False,
    )
    CalendarDay.objects.create(calendar=row, day=dt.date(2026, 11, 24))
    start = dt.datetime(2026, 11, 23, 20, tzinfo=SHANGHAI)  # Monday, 1 h before close

    due = due_at(start, 3, "working_hours", calendar_for_store(store))

    # 1 h on Monday, Tuesday closed, then 10–12 on Wednesday.
    assert due == dt.datetime(2026, 11, 25, 12, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_case_target_reads_the_case(agent, store):
    from tests.factories import make_case

    case = make_case(by=agent, store=store, severity="urgent")

    rule = case_target(case, "response")

    assert (rule.amount, rule.unit) == (15, "minutes")
