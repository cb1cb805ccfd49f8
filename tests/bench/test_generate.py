"""`kesu bench generate`: a small data set is as consistent as the services' data."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.db import connection, transaction

from bench import generate as gen
from kesu.cases import search
from kesu.cases.models import Case, CaseEvent, CaseNumberCounter, Customer
from kesu.cases.numbering import next_case_number
from kesu.privacy import crypto

SIZE = 400


@pytest.fixture
def generated(db) -> gen.GenerateResult:
    return gen.generate(size=SIZE, seed=7)


def test_generate_writes_the_requested_cases_with_timelines(generated):
    assert generated.cases == SIZE
    assert Case.objects.count() == SIZE
    assert CaseEvent.objects.count() == generated.events > SIZE
    assert not Case.objects.filter(events__isnull=True).exists()
    first = CaseEvent.objects.filter(case=Case.objects.first()).order_by("created_at")
    assert first[0].type == "case.received"
    assert Case.objects.first().number in first[0].message


def test_generate_keeps_events_between_receipt_and_the_anchor(generated):
    case = Case.objects.order_by("-received_at").first()
    for event in case.events.all():
        assert case.received_at <= event.created_at <= gen.DEFAULT_ANCHOR


def test_generate_gives_some_customers_repeat_complaints(generated):
    assert Customer.objects.count() == generated.customers < SIZE
    assert Customer.objects.filter(cases__isnull=False).count() > generated.customers


def test_generate_numbers_cases_uniquely_with_consistent_counters(generated):
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == SIZE
    highest: dict[str, int] = defaultdict(int)
    for number in numbers:
        match = re.fullmatch(r"KS-(\d{8})-(\d{4})", number)
        assert match, number
        highest[match[1]] = max(highest[match[1]], int(match[2]))
    counters = dict(CaseNumberCounter.objects.values_list("day", "last"))
    assert counters == dict(highest)


def test_next_number_after_generation_does_not_collide(generated):
    case = Case.objects.select_related("store").first()
    with transaction.atomic():
        number = next_case_number(case.received_at, case.store.time_zone)
    assert not Case.objects.filter(number=number).exists()


def test_generate_encrypts_customer_data_and_indexes_phones(generated):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, phone_index FROM cases_customer LIMIT 20")
        rows = cursor.fetchall()
    for name, phone, phone_index in rows:
        assert not re.search(r"\d{11}", phone)
        assert re.fullmatch(r"1\d{10}", crypto.decrypt(phone))
        assert crypto.decrypt(name)
        assert phone_index == crypto.phone_index(crypto.decrypt(phone))


def test_generated_cases_are_found_by_chinese_full_text_search(generated):
    expected = Case.objects.filter(description__contains="消费者协会").count()
    assert expected > 0
    found = search.filter_by_text(Case.objects.all(), "消费者协会")
    assert found.count() == expected


def test_search_text_starts_with_the_tokens_of_the_case_number(generated):
    case = Case.objects.first()
    assert case.search_text.split()[:3] == search.tokens(case.number)


def test_one_case_in_a_hundred_has_a_long_timeline(generated):
    long_cases = Case.objects.filter(id__in=range(100, SIZE + 100, 100))
    counts = [c.events.count() for c in long_cases if c.status != "received"]
    assert counts
    assert all(n >= gen.LONG_TIMELINE_EVENTS for n in counts)


def test_the_same_seed_plans_the_same_cases(db):
    def plan(seed: int) -> list[tuple[str, str]]:
        g = gen.Generator(
            size=50, seed=seed, anchor=gen.DEFAULT_ANCHOR, progress=lambda m: None
        )
        batch = g.plan_batch(g.ages())
        return [(c["number"], c["description"]) for c in batch.cases]

    assert plan(3) == plan(3)
    assert plan(3) != plan(4)


@pytest.mark.parametrize(
    ("text", "count"), [("2500", 2500), ("100k", 100_000), ("1m", 1_000_000)]
)
def test_parse_size_reads_suffixes(text, count):
    assert gen.parse_size(text) == count


@pytest.mark.parametrize("text", ["", "ten", "5g", "-3"])
def test_parse_size_refuses_other_text(text):
    with pytest.raises(ValueError, match="not a size"):
        gen.parse_size(text)


def test_generate_refuses_an_empty_size(db):
    with pytest.raises(ValueError, match="at least 1"):
        gen.generate(size=0)


def test_day_weights_favour_weekends_and_double_eleven():
    anchor = dt.datetime(2026, 11, 30, 4, tzinfo=dt.UTC)  # a Monday in Shanghai
    weights = gen.day_weights(anchor)
    assert len(weights) == gen.HISTORY_DAYS
    assert weights[1] > weights[3]  # Sunday the 29th over Friday the 27th
    assert weights[7] > weights[30]  # 23 Nov (after 双11) over 31 Oct


def test_bracket_of_uses_the_age_table_and_keeps_old_cases_in_the_last():
    assert gen.bracket_of(0.5) == 0
    assert gen.bracket_of(2) == 1
    assert gen.bracket_of(1000) == len(gen.STATUS_BY_AGE) - 1
