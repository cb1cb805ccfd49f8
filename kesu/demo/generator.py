"""Deterministic demo data: the organisation, customers and cases with full timelines.

Cases are written with `bulk_create` for speed, but every row is what the services in
`kesu.cases.services` would have written for the same history: the same event types,
`data` shapes, messages and side fields (see `kesu.demo.story`). `plan_cases` is pure
given the reference rows, the seed and the anchor, so the same seed gives the same
cases.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, Role, Store, User
from kesu.cases import search
from kesu.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    CollaborationRequest,
    Customer,
    HandlingPlan,
    Product,
)
from kesu.cases.numbering import local_day
from kesu.cases.workflow import Status
from kesu.demo import texts
from kesu.demo.records import PlannedCase, PlannedCustomer, Refs
from kesu.demo.story import Story
from kesu.demo.tables import FIRST_CASES, HISTORY_DAYS, REQUEST_DUE_HOURS, STATUS_BY_AGE
from kesu.demo.users import DEPARTMENTS, STAFF, STORES
from kesu.privacy import crypto
from kesu.sla.selectors import calendar_for_store, target_rules
from kesu.sla.services import clocks_replay_many

DEFAULT_CASES = 2400
DEFAULT_SEED = 20260
BATCH_SIZE = 1000
REPLAY_BATCH = 500

Progress = Callable[[str], None]


def demo_present() -> bool:
    """Whether the demo organisation was already loaded (its stores exist)."""
    return Store.objects.filter(code__in=[s.code for s in STORES]).exists()


def ensure_reference_data(*, progress: Progress) -> Refs:
    """Departments, stores, products and staff; idempotent by code and username."""
    departments = {}
    for code, name, name_en in DEPARTMENTS:
        departments[code], _created = Department.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
    stores = []
    for spec in STORES:
        store, _created = Store.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "name_en": spec.name_en,
                "city": spec.city,
                "time_zone": spec.time_zone,
            },
        )
        stores.append(store)
    products = []
    for item in texts.PRODUCTS:
        product, _created = Product.objects.get_or_create(
            code=item.code,
            defaults={
                "name": item.name,
                "name_en": item.name_en,
                "model_number": item.model_number,
            },
        )
        products.append((product, item))
    users = _ensure_staff(departments, {s.code: s for s in stores})
    progress(
        f"Organisation: {len(departments)} departments, {len(stores)} stores, "
        f"{len(products)} products, {len(users)} staff."
    )
    categories = {c.code: c for c in Category.objects.all()}
    calendars = {store.pk: calendar_for_store(store) for store in stores}
    return Refs(
        stores, departments, products, users, categories, target_rules(), calendars
    )


def _ensure_staff(
    departments: dict[str, Department], stores: dict[str, Store]
) -> dict[str, User]:
    # One hash per distinct password: PBKDF2 is deliberately slow.
    hashes: dict[str, str] = {}
    users = {}
    for spec in STAFF:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            if spec.password not in hashes:
                hashes[spec.password] = make_password(spec.password)
            is_admin = spec.role == Role.ADMIN
            user = User.objects.create(
                username=spec.username,
                password=hashes[spec.password],
                role=spec.role,
                display_name=spec.display_name,
                first_name=spec.display_name[1:],
                last_name=spec.display_name[:1],
                is_staff=is_admin,
                is_superuser=is_admin,
            )
            user.departments.set([departments[code] for code in spec.departments])
            user.stores.set([stores[code] for code in spec.stores])
        users[spec.username] = user
    return users


def anchor_now() -> dt.datetime:
    """The demo's "now": the current hour, so data looks current yet stays stable."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def plan_cases(
    refs: Refs,
    *,
    count: int,
    seed: int,
    anchor: dt.datetime,
    counters: dict[str, int] | None = None,
) -> tuple[list[PlannedCase], list[PlannedCustomer]]:
    """The cases and customers to write; pure given refs, seed, anchor and counters."""
    rng = random.Random(seed)
    customers: list[PlannedCustomer] = []
    phones: set[str] = set()
    planned = []
    day_weights = _day_weights(anchor)
    for index in range(count):
        status, age_days = _status_and_age(rng, index, day_weights)
        store = rng.choice(refs.stores)
        customer_index = _pick_customer(rng, customers, phones, store)
        story = Story(rng, refs, store, anchor, status, age_days, customer_index)
        planned.append(story.build())
    planned.sort(key=lambda p: (p.case.received_at, p.case.description))
    _number(planned, counters or {})
    return planned, customers


def _day_weights(anchor: dt.datetime) -> list[float]:
    # Weekends and the weeks after the 618 and 双11 shopping festivals bring more.
    today = anchor.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    weights = []
    for age in range(HISTORY_DAYS):
        day = today - dt.timedelta(days=age)
        weight = 1.25 if day.weekday() >= 5 else 1.0
        if (day.month, day.day) >= (11, 11) and day.month == 11:
            weight *= 1.6
        elif day.month == 6 and day.day >= 18:
            weight *= 1.3
        weights.append(weight)
    return weights


def _status_and_age(
    rng: random.Random, index: int, day_weights: list[float]
) -> tuple[Status, float]:
    firsts = list(FIRST_CASES)
    if index < len(firsts):
        status = firsts[index]
        return status, rng.uniform(*FIRST_CASES[status])
    age = rng.choices(range(HISTORY_DAYS), weights=day_weights)[0] + rng.random()
    weights = next(table for limit, table in STATUS_BY_AGE if age < limit)
    status = rng.choices(list(weights), weights=list(weights.values()))[0]
    return status, age


def _pick_customer(
    rng: random.Random,
    customers: list[PlannedCustomer],
    phones: set[str],
    store: Store,
) -> int:
    # About one case in six comes from someone who complained before.
    if customers and rng.random() < 0.16:
        return rng.randrange(len(customers))
    phone = ""
    while not phone or phone in phones:
        phone = "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9))
    phones.add(phone)
    name = rng.choice(texts.SURNAMES) + rng.choice(texts.GIVEN_NAMES)
    street = rng.choice(texts.STREETS[store.city])
    email = (
        f"user{rng.randrange(10000, 99999)}@{rng.choice(texts.EMAIL_DOMAINS)}"
        if rng.random() < 0.3
        else ""
    )
    address = (
        f"{store.city}市{street}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}01室"
    )
    customers.append(PlannedCustomer(name, phone, email, address))
    return len(customers) - 1


def _number(planned: list[PlannedCase], counters: dict[str, int]) -> None:
    last = dict(counters)
    for item in planned:
        day = local_day(item.case.received_at, item.case.store.time_zone)
        last[day] = last.get(day, 0) + 1
        item.case.number = f"KS-{day}-{last[day]:04d}"


@dataclass
class LoadResult:
    cases: int
    customers: int
    events: int
    plans: int
    by_status: dict[str, int]


def load_demo(
    *,
    count: int = DEFAULT_CASES,
    seed: int = DEFAULT_SEED,
    anchor: dt.datetime | None = None,
    progress: Progress = lambda message: None,
) -> LoadResult:
    """Write the organisation and `count` cases in one transaction."""
    anchor = anchor or anchor_now()
    with transaction.atomic():
        refs = ensure_reference_data(progress=progress)
        counters = dict(CaseNumberCounter.objects.values_list("day", "last"))
        planned, customers = plan_cases(
            refs,
            count=count,
            seed=seed,
            anchor=anchor,
            counters=counters,
        )
        progress(f"Planned {len(planned)} cases for {len(customers)} customers.")
        customer_rows = _write_customers(customers, planned)
        progress(f"Customers: {len(customer_rows)} (personal data encrypted).")
        _write_cases(planned, customer_rows, progress)
        plans = _write_plans(planned)
        _write_requests(planned)
        events = _write_events(planned, anchor, progress)
        _write_counters(planned, counters)
        _write_search_index(planned)
    by_status = Counter(item.case.status for item in planned)
    return LoadResult(len(planned), len(customer_rows), events, plans, dict(by_status))


def _write_customers(
    customers: list[PlannedCustomer], planned: list[PlannedCase]
) -> list[Customer]:
    # A customer exists since their first complaint (planned is in time order).
    first_at: dict[int, dt.datetime] = {}
    for item in planned:
        first_at.setdefault(item.customer_index, item.case.received_at)
    rows = [
        Customer(
            name=c.name,
            phone=crypto.normalize_phone(c.phone),
            email=crypto.normalize_email(c.email) if c.email else "",
            address=c.address,
            phone_index=crypto.phone_index(c.phone),
            email_index=crypto.email_index(c.email) if c.email else "",
            created_at=first_at[index],
        )
        for index, c in enumerate(customers)
    ]
    return Customer.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _write_cases(
    planned: list[PlannedCase], customers: list[Customer], progress: Progress
) -> None:
    for start in range(0, len(planned), BATCH_SIZE):
        batch = planned[start : start + BATCH_SIZE]
        for item in batch:
            item.case.customer = customers[item.customer_index]
            item.case.search_text = search.search_text_for(item.case)
        Case.objects.bulk_create([item.case for item in batch])
        progress(f"Cases: {start + len(batch)}/{len(planned)}")


def _write_plans(planned: list[PlannedCase]) -> int:
    rows = []
    for item in planned:
        at = item.case.received_at
        item.plan_rows = [
            HandlingPlan(
                case=item.case,
                resolution_type=p.resolution_type,
                compensation_amount=p.amount,
                description=p.description,
                responsibility=p.responsibility,
                responsible_employee=p.responsible_employee,
                proposed_by=p.proposed_by,
                proposed_at=at + dt.timedelta(minutes=p.minute),
                approval_status=p.approval_status,
                decided_by=p.decided_by,
                decided_at=None
                if p.decided_minute is None
                else at + dt.timedelta(minutes=p.decided_minute),
                decision_note=p.decision_note,
            )
            for p in item.plans
        ]
        rows += item.plan_rows
    HandlingPlan.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _write_requests(planned: list[PlannedCase]) -> None:
    rows = []
    for item in planned:
        at = item.case.received_at
        item.request_rows = [
            CollaborationRequest(
                case=item.case,
                department=r.department,
                request=r.request,
                due_at=at + dt.timedelta(minutes=r.minute, hours=REQUEST_DUE_HOURS),
                status=r.status,
                response=r.response,
                requested_by=r.requested_by,
                requested_at=at + dt.timedelta(minutes=r.minute),
                answered_by=r.answered_by,
                answered_at=None
                if r.answered_minute is None
                else at + dt.timedelta(minutes=r.answered_minute),
            )
            for r in item.requests
        ]
        rows += item.request_rows
    CollaborationRequest.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _fill_ref(data: dict[str, Any], ref: tuple[str, int], item: PlannedCase) -> None:
    kind, index = ref
    if kind == "plan":
        data["plan"] = item.plan_rows[index].pk
    elif kind == "customer":
        data["customer"] = item.case.customer_id
    else:
        request = item.request_rows[index]
        data["request"] = request.pk
        if "due_at" in data:
            data["due_at"] = request.due_at.isoformat()


def _write_events(
    planned: list[PlannedCase], anchor: dt.datetime, progress: Progress
) -> int:
    rows: list[CaseEvent] = []
    reads: dict[object, object] = {}  # policies and calendars, read once for all
    timelines: list[tuple[Case, list[CaseEvent]]] = []
    for done, item in enumerate(planned, start=1):
        case = item.case
        first = len(rows)
        for event in item.events:
            data = dict(event.data)
            message = event.message
            if event.ref is not None:
                _fill_ref(data, event.ref, item)
            if event.type == "case.received":
                message = _("Complaint received as %(number)s.") % {
                    "number": case.number
                }
            rows.append(
                CaseEvent(
                    case=case,
                    created_at=case.received_at + dt.timedelta(minutes=event.minute),
                    actor=event.actor,
                    type=event.type,
                    visibility=event.visibility,
                    message=message,
                    data=data,
                )
            )
        timelines.append((case, rows[first:]))
        if done % REPLAY_BATCH == 0 or done == len(planned):
            # Through the deadline services, so demo clocks are what live ones are.
            clocks_replay_many(timelines=timelines, now=anchor, reads=reads)
            timelines = []
            progress(f"Timelines and deadline clocks: {done}/{len(planned)} cases.")
    CaseEvent.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    progress(f"Timeline events: {len(rows)}")
    return len(rows)


def _write_counters(planned: list[PlannedCase], counters: dict[str, int]) -> None:
    last: dict[str, int] = defaultdict(int, counters)
    for item in planned:
        day, sequence = item.case.number.rsplit("-", 2)[1:]
        last[day] = max(last[day], int(sequence))
    CaseNumberCounter.objects.bulk_create(
        [CaseNumberCounter(day=day, last=value) for day, value in last.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
        batch_size=BATCH_SIZE,
    )


def _write_search_index(planned: list[PlannedCase]) -> None:
    # PostgreSQL indexes search_text itself (GIN); SQLite needs the FTS5 rows.
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {search.FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
            [(item.case.pk, item.case.search_text) for item in planned],
        )


def existing_usernames() -> list[str]:
    """Demo usernames already used by someone else."""
    return list(
        User.objects.filter(username__in=[u.username for u in STAFF])
        .order_by("username")
        .values_list("username", flat=True)
    )
