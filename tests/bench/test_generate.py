"""`kesu bench generate`: a small data set is as consistent as the services' data."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zoneinfo
from collections import Counter, defaultdict

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse

from bench import generate as gen
from bench.generate.customers import FernetWriter
from kesu.accounts.models import Role, User
from kesu.cases import search, selectors
from kesu.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CollaborationRequest,
    Customer,
    HandlingPlan,
)
from kesu.cases.numbering import next_case_number
from kesu.cases.workflow import Status
from kesu.demo.generator import ensure_reference_data
from kesu.privacy import crypto

SIZE = 400


@pytest.fixture
def generated(db) -> gen.GenerateResult:
    return gen.generate(size=SIZE, seed=7)


@pytest.fixture
def boss(generated) -> User:
    """The demo organisation's manager, who sees every case."""
    return User.objects.filter(role=Role.MANAGER).first()


def test_generate_writes_the_requested_cases_with_timelines(generated):
    assert generated.cases == SIZE
    assert Case.objects.count() == SIZE
    assert CaseEvent.objects.count() == generated.events > SIZE
    assert not Case.objects.filter(events__isnull=True).exists()
    first = CaseEvent.objects.filter(case=Case.objects.first()).order_by("created_at")
    assert first[0].type == "case.received"
    assert Case.objects.first().number in first[0].message


def test_generate_keeps_events_between_receipt_and_the_anchor(generated):
    events = CaseEvent.objects.all()
    assert not events.filter(created_at__lt=F("case__received_at")).exists()
    assert not events.filter(created_at__gt=gen.DEFAULT_ANCHOR).exists()


def test_every_status_has_a_timeline_that_leads_to_it(generated):
    cases = {c.pk: c for c in Case.objects.all()}
    transitions = defaultdict(list)
    for event in CaseEvent.objects.filter(type="case.transitioned").order_by(
        "created_at", "id"
    ):
        transitions[event.case_id].append(event)
    assert len({c.status for c in cases.values()}) >= 5
    for pk, case in cases.items():
        state = Status.RECEIVED.value
        for event in transitions[pk]:
            assert event.data["from"] == state, case.number
            state = event.data["to"]
        assert state == case.status, case.number
        if transitions[pk]:
            last = transitions[pk][-1].created_at
            assert abs(case.status_changed_at - last) < dt.timedelta(minutes=1)
        closed = case.status in {Status.ARCHIVED, Status.REJECTED}
        assert (case.closed_at is not None) == closed, case.number


def test_event_references_point_to_this_cases_rows(generated):
    plans = dict(HandlingPlan.objects.values_list("id", "case_id"))
    requests = dict(CollaborationRequest.objects.values_list("id", "case_id"))
    checked = 0
    for event in CaseEvent.objects.exclude(data={}):
        if "plan" in event.data:
            assert plans[event.data["plan"]] == event.case_id
            checked += 1
        if "request" in event.data:
            assert requests[event.data["request"]] == event.case_id
            checked += 1
    assert checked > 0


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


def test_case_numbers_follow_the_stores_local_day(generated):
    for case in Case.objects.select_related("store")[:50]:
        local = case.received_at.astimezone(zoneinfo.ZoneInfo(case.store.time_zone))
        assert case.number.split("-")[1] == local.strftime("%Y%m%d")


def test_numbering_continues_after_a_load(generated):
    case = Case.objects.select_related("store").order_by("-received_at").first()
    day, sequence = case.number.split("-")[1:]
    with transaction.atomic():
        number = next_case_number(case.received_at, case.store.time_zone)
    assert not Case.objects.filter(number=number).exists()
    assert number.split("-")[1] == day
    assert int(number.split("-")[2]) > int(sequence)


def test_a_second_load_continues_ids_numbers_and_counters(generated):
    more = gen.generate(size=50, seed=8)
    assert Case.objects.count() == SIZE + 50
    assert CaseEvent.objects.count() == generated.events + more.events
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers)


def test_generate_encrypts_customer_data_and_indexes_phones(generated):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, phone, phone_index FROM cases_customer LIMIT 20")
        rows = cursor.fetchall()
    for name, phone, phone_index in rows:
        assert not re.search(r"\d{11}", phone)
        assert re.fullmatch(r"1\d{10}", crypto.decrypt(phone))
        assert crypto.decrypt(name)
        assert phone_index == crypto.phone_index(crypto.decrypt(phone))
    phones = [c.phone for c in Customer.objects.all()]
    assert len(set(phones)) == len(phones)


def test_generated_cases_are_found_by_chinese_full_text_search(generated):
    expected = Case.objects.filter(description__contains="消费者协会").count()
    assert expected > 0
    found = search.filter_by_text(Case.objects.all(), "消费者协会")
    assert found.count() == expected


def test_the_case_list_selector_searches_generated_cases(generated, boss):
    case = Case.objects.exclude(order_number="").first()
    filters = selectors.CaseFilters(text=case.order_number)
    found = selectors.case_list(user=boss, filters=filters)
    assert case in found
    nothing = selectors.CaseFilters(text="不存在的词语组合xyzzy")
    assert not selectors.case_list(user=boss, filters=nothing).exists()


def test_search_text_starts_with_the_tokens_of_the_case_number(generated):
    case = Case.objects.first()
    assert case.search_text.split()[:3] == search.tokens(case.number)


def test_one_case_in_a_hundred_has_a_long_timeline(generated):
    long_cases = Case.objects.filter(id__in=range(100, SIZE + 100, 100))
    counts = [c.events.count() for c in long_cases if c.status != "received"]
    assert counts
    assert all(n >= gen.LONG_TIMELINE_EVENTS for n in counts)


def test_list_and_detail_pages_render_generated_cases(generated, boss, client):
    client.force_login(boss)
    newest = Case.objects.order_by("-received_at", "-id").first()
    page = client.get(reverse("cases:list"))
    assert page.status_code == 200
    assert newest.number in page.content.decode()
    long_case = Case.objects.get(pk=200)
    detail = client.get(reverse("cases:detail", args=[long_case.number]))
    assert detail.status_code == 200
    assert long_case.number in detail.content.decode()


def test_detail_of_an_unknown_number_is_404(generated, boss, client):
    client.force_login(boss)
    response = client.get(reverse("cases:detail", args=["KS-19990101-0001"]))
    assert response.status_code == 404


def test_the_same_seed_plans_the_same_cases(db):
    def plan(seed: int) -> tuple[list[str], list[int], list[str]]:
        _pool, chosen = gen.plan(
            size=300, seed=seed, anchor=gen.DEFAULT_ANCHOR, progress=lambda m: None
        )
        customers = [c.phone + c.name + c.address for c in chosen.customers]
        return chosen.numbers, chosen.template.tolist(), customers

    assert plan(3) == plan(3)
    assert plan(3) != plan(4)


def test_the_same_seed_writes_the_same_rows(db):
    def rows() -> list[tuple]:
        with transaction.atomic():
            gen.generate(size=120, seed=5)
            cases = Case.objects.order_by("id").values_list(
                "id", "number", "received_at", "status", "description", "customer_id"
            )
            events = CaseEvent.objects.order_by("id").values_list(
                "id", "case_id", "created_at", "type", "data"
            )
            found = list(cases) + list(events)
            transaction.set_rollback(True)
        return found

    # Staff and stores first: PostgreSQL's sequences do not roll back.
    ensure_reference_data(progress=lambda m: None)
    first = rows()
    assert len(first) > 120
    assert rows() == first


def test_plan_has_seasonal_weekly_and_long_tailed_shapes(db):
    pool, chosen = gen.plan(
        size=6000, seed=2, anchor=gen.DEFAULT_ANCHOR, progress=lambda m: None
    )
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    days = [
        dt.datetime.fromtimestamp(t, dt.UTC).astimezone(shanghai).date()
        for t in chosen.received.tolist()
    ]
    weekend = sum(d.weekday() >= 5 for d in days) / 2
    weekday = sum(d.weekday() < 5 for d in days) / 5
    assert weekend > weekday * 1.1
    per_month = Counter((d.year, d.month) for d in days)
    assert per_month[(2025, 11)] > per_month[(2025, 9)]  # 双11 over September
    templates = [pool.templates[t] for t in chosen.template.tolist()]
    stores = Counter(t.case.store_id for t in templates).most_common()
    assert stores[0][1] > 3 * stores[-1][1]
    assert len({t.case.channel for t in templates}) >= 3
    assert len({t.case.category_id for t in templates}) >= 3
    statuses = Counter(t.case.status for t in templates)
    assert statuses[Status.ARCHIVED] > len(templates) / 2  # most old cases are done
    assert {t.case.status for t in pool.templates} == set(Status.values)
    repeats = len(chosen.customer) - len(chosen.customers)
    assert 0.1 < repeats / len(chosen.customer) < 0.25


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


# One transactional test only: its flush at the end drops the migrations' data.
@pytest.mark.django_db(transaction=True)
def test_a_load_outside_a_transaction_restores_the_migrated_schema():
    """Indexes, keys and triggers dropped for the load come back as migrated."""
    migrated = _schema()
    result = gen.generate(size=3000, seed=9)
    loaded = _schema()
    assert loaded - migrated == set()
    assert migrated - loaded == set()
    if connection.vendor != "postgresql":
        return
    # PostgreSQL loaded in two parallel sessions.
    assert Case.objects.count() == 3000
    assert CaseEvent.objects.count() == result.events
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'cases_case'")
        (indexes,) = cursor.fetchone()
        cursor.execute("SELECT to_regclass('bench_gen_copy')")
        (staging,) = cursor.fetchone()
    assert indexes > 5  # dropped for the load and built again
    assert staging is None
    found = search.filter_by_text(Case.objects.all(), "消费者协会")
    assert (
        found.count() == Case.objects.filter(description__contains="消费者协会").count()
    )
    case = Case.objects.select_related("store").order_by("-received_at").first()
    with transaction.atomic():
        number = next_case_number(case.received_at, case.store.time_zone)
    assert not Case.objects.filter(number=number).exists()
    new = Case.objects.create(
        **{
            f.attname: getattr(case, f.attname)
            for f in Case._meta.concrete_fields
            if f.attname not in {"id", "number"}
        },
        number=number,
    )
    assert new.pk > case.pk  # the id sequence moved past the generated ids


def _schema() -> set[tuple[str, ...]]:
    """Indexes, constraints and triggers of the app's tables, by definition."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 'index', tablename, indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' UNION ALL "
                "SELECT 'constraint', conrelid::regclass::text, conname, "
                "pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace UNION ALL "
                # Foreign-key triggers are named by oid: compare what they do.
                "SELECT 'trigger', tgrelid::regclass::text, "
                "CASE WHEN tgisinternal THEN tgfoid::regproc::text ELSE tgname END, "
                "tgtype || ' ' || tgenabled::text || ' ' || COALESCE(c.conname, '') "
                "FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint "
                "WHERE tgrelid::regclass::text NOT LIKE 'pg_%' UNION ALL "
                "SELECT 'table', relname, relpersistence::text, relkind::text "
                "FROM pg_class WHERE relnamespace = 'public'::regnamespace"
            )
        else:
            # ANALYZE's statistics tables are no schema.
            cursor.execute(
                "SELECT type, tbl_name, name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_stat%'"
            )
        return {tuple(str(v) for v in row) for row in cursor.fetchall()}


@pytest.mark.parametrize(
    "text", ["", "a", "x" * 15, "y" * 16, "z" * 17, "北京市朝阳路1号"]
)
def test_generated_tokens_are_fernet_tokens_the_app_decrypts(text, settings):
    token = FernetWriter(settings.PII_KEYS[0]).encrypt(text)
    assert crypto.decrypt(token) == text
    assert len(token) == len(crypto.encrypt(text))


def test_a_token_under_another_key_is_refused(settings):
    other = base64.urlsafe_b64encode(bytes(range(32))).decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(FernetWriter(other).encrypt("13812345678"))
