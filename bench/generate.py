"""`kesu bench generate`: years of realistic cases, fast enough for a million.

Each case is what the services would have written (the demo's `Story` plays the
workflow), but a story costs about a millisecond of Python and segmenting its text with
jieba as much again. So a pool of a few thousand stories is played once, per final
status and age bracket, and every generated case is a copy of one, moved to its own
day, its own customer and its own number, with its timeline squeezed when the case is
younger than the story. On top come the bench's own detail sentences (so texts vary
beyond the pool), a long tail over stores and repeat customers, seasonal and weekly
patterns over three years, and one case in a hundred with a 30-event timeline.

Rows get their ids here and go in per batch and table with one COPY on PostgreSQL
(`executemany` on SQLite), one transaction per batch; PostgreSQL's identity
sequences are moved past them at the end. Customer data is encrypted exactly as
`EncryptedTextField` does, the blind indexes are those of `kesu.privacy.crypto`, the
FTS rows those of `kesu.cases.search`, and the day counters end at the highest number
used.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kesu.accounts.models import Store
from kesu.cases import search
from kesu.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CollaborationRequest,
    Customer,
    HandlingPlan,
    Visibility,
)
from kesu.cases.numbering import local_day
from kesu.cases.workflow import Status
from kesu.demo import texts
from kesu.demo.generator import ensure_reference_data
from kesu.demo.records import PlannedCase, Refs
from kesu.demo.story import Story
from kesu.demo.tables import REQUEST_DUE_HOURS, STATUS_BY_AGE
from kesu.privacy import crypto

DEFAULT_SEED = 1
# A fixed "now" keeps the data set identical from one day to the next.
DEFAULT_ANCHOR = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 3 * 365
BATCH_CASES = 5000
STORIES_PER_BRACKET = 150
REPEAT_SHARE = 0.16  # cases from a customer who complained before
LONG_TIMELINE_EVERY = 100  # one case in this many gets a long timeline
LONG_TIMELINE_EVENTS = 30
STORE_TAIL = 1.2  # Zipf exponent of the case count over stores

# Our own detail sentences, appended to half the descriptions.
DETAILS = [
    "顾客表示已经第二次反映同一问题。",
    "顾客情绪比较激动，希望尽快有人联系。",
    "顾客称家中有老人小孩，担心安全隐患。",
    "顾客提供了照片和视频作为凭证。",
    "顾客要求书面答复处理结果。",
    "顾客说周末才有时间在家等候上门。",
    "顾客称在社交平台上看到类似投诉。",
    "顾客希望由店长亲自回电说明情况。",
    "顾客表示如不解决将向消费者协会投诉。",
    "顾客说明发票和保修卡都还保留着。",
    "顾客称客服热线一直占线，等待很久。",
    "顾客说快递外包装有明显破损痕迹。",
    "顾客反映夜间使用时噪音特别大。",
    "顾客称同事买的同款也有类似情况。",
    "顾客要求上门人员提前电话预约。",
    "顾客表示对之前的处理方案不太满意。",
    "顾客说安装师傅没有出示工作证件。",
    "顾客称门店承诺的赠品一直没有收到。",
    "顾客希望改为线上退款到原支付账户。",
    "顾客反映说明书与实际功能不一致。",
]

Progress = Callable[[str], None]
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$")


def parse_size(text: str) -> int:
    """A case count from "2500", "100k" or "1m"."""
    match = _SIZE.match(text.strip().lower())
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 5000, 100k, 1m)")
    number, unit = match.groups()
    return int(float(number) * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def day_weights(anchor: dt.datetime, days: int = HISTORY_DAYS) -> list[float]:
    """Relative case counts per day of age: growth, weekends, festivals, new year."""
    today = anchor.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    weights = []
    for age in range(days):
        day = today - dt.timedelta(days=age)
        weight = 1.0 + 0.8 * (1 - age / days)  # the business grew over the years
        if day.weekday() >= 5:
            weight *= 1.25
        if day.month == 11 and day.day >= 11:
            weight *= 1.6  # after 双11
        elif day.month == 6 and day.day >= 18:
            weight *= 1.3  # after 618
        elif (day.month == 1 and day.day >= 25) or (day.month == 2 and day.day <= 10):
            weight *= 0.6  # the Spring Festival holidays
        weights.append(weight)
    return weights


def bracket_of(age_days: float) -> int:
    """Index of the STATUS_BY_AGE bracket for an age; the last one never ends."""
    for index, (limit, _weights) in enumerate(STATUS_BY_AGE):
        if age_days < limit:
            return index
    return len(STATUS_BY_AGE) - 1


def store_weights(stores: list[Store]) -> list[float]:
    """A long tail: the first store gets the most cases, each next one fewer."""
    return [1 / (rank**STORE_TAIL) for rank in range(1, len(stores) + 1)]


@dataclass
class Template:
    """One played story, reduced to what a copy needs."""

    received_at: dt.datetime
    span: float  # minutes from receipt to its last mark
    case: dict[str, Any]  # column values that copies share
    times: dict[str, float | None]  # datetime fields as minutes after receipt
    store: Store
    events: list[tuple[float, str, int | None, str, str, dict[str, Any], Any]]
    plans: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    tokens: list[str]
    description: str


_CASE_TIMES = ("status_changed_at", "resolved_at", "closed_at", "updated_at")


def _minutes(value: dt.datetime | None, start: dt.datetime) -> float | None:
    return None if value is None else (value - start).total_seconds() / 60


def _template(played: PlannedCase) -> Template:
    case = played.case
    start = case.received_at
    times = {name: _minutes(getattr(case, name), start) for name in _CASE_TIMES}
    shared = {
        f.attname: getattr(case, f.attname)
        for f in Case._meta.concrete_fields
        if f.attname
        not in {
            "id",
            "number",
            "customer_id",
            "received_at",
            "created_at",
            "search_text",
        }
        and f.attname not in _CASE_TIMES
    }
    events = [
        (e.minute, e.type, e.actor.pk if e.actor else None, e.visibility, e.message)
        + (e.data, e.ref)
        for e in played.events
    ]
    plans = [
        {
            "resolution_type": p.resolution_type,
            "compensation_amount": p.amount,
            "description": p.description,
            "responsibility": p.responsibility,
            "responsible_employee_id": p.responsible_employee.pk
            if p.responsible_employee
            else None,
            "proposed_by_id": p.proposed_by.pk,
            "proposed_at": p.minute,
            "approval_status": p.approval_status,
            "decided_by_id": p.decided_by.pk if p.decided_by else None,
            "decided_at": p.decided_minute,
            "decision_note": p.decision_note,
        }
        for p in played.plans
    ]
    requests = [
        {
            "department_id": r.department.pk,
            "request": r.request,
            "due_at": r.minute + REQUEST_DUE_HOURS * 60,
            "status": r.status,
            "response": r.response,
            "requested_by_id": r.requested_by.pk,
            "requested_at": r.minute,
            "answered_by_id": r.answered_by.pk if r.answered_by else None,
            "answered_at": r.answered_minute,
        }
        for r in played.requests
    ]
    marks = [m for m in times.values() if m is not None] + [e[0] for e in events]
    text_parts = [
        case.product_model,
        case.serial_number,
        case.order_number,
        case.description,
        case.demand,
    ]
    return Template(
        received_at=start,
        span=max(marks, default=0.0),
        case=shared,
        times=times,
        store=case.store,
        events=events,
        plans=plans,
        requests=requests,
        tokens=search.tokens(" ".join(p for p in text_parts if p)),
        description=case.description,
    )


def play_pool(
    refs: Refs, *, rng: random.Random, anchor: dt.datetime, per_bracket: int
) -> dict[tuple[int, Status], list[Template]]:
    """Stories for every (age bracket, final status) the age table allows."""
    pool: dict[tuple[int, Status], list[Template]] = {}
    weights = store_weights(refs.stores)
    low = 0.0
    for index, (limit, statuses) in enumerate(STATUS_BY_AGE):
        for status in statuses:
            stories = []
            for _n in range(per_bracket):
                store = rng.choices(refs.stores, weights=weights)[0]
                age = rng.uniform(low, limit)
                played = Story(rng, refs, store, anchor, status, age, 0).build()
                stories.append(_template(played))
            pool[(index, status)] = stories
        low = limit
    return pool


@dataclass
class Ids:
    """The next free id of each table, so rows can refer to each other before insert."""

    next: dict[type[models.Model], int] = field(default_factory=dict)

    @classmethod
    def from_database(cls) -> Ids:
        tables = (Customer, Case, CaseEvent, HandlingPlan, CollaborationRequest)
        return cls(
            {m: (m.objects.aggregate(top=Max("id"))["top"] or 0) + 1 for m in tables}
        )

    def take(self, model: type[models.Model]) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


@dataclass
class Batch:
    customers: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fts: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class GenerateResult:
    cases: int
    customers: int
    events: int
    seconds: float

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0


class Generator:
    """Plans and writes `size` cases; the same seed, anchor and start give the same."""

    def __init__(
        self, *, size: int, seed: int, anchor: dt.datetime, progress: Progress
    ) -> None:
        self.size, self.anchor, self.progress = size, anchor, progress
        self.rng = random.Random(seed)
        self.refs = ensure_reference_data(progress=progress)
        per_bracket = max(3, min(STORIES_PER_BRACKET, size // 200))
        self.pool = play_pool(
            self.refs, rng=self.rng, anchor=anchor, per_bracket=per_bracket
        )
        self.detail_tokens = [search.tokens(d) for d in DETAILS]
        self.ids = Ids.from_database()
        self.counters = dict(CaseNumberCounter.objects.values_list("day", "last"))
        self.customers: list[tuple[int, dt.datetime]] = []  # (id, first complaint)
        self.phones: set[str] = set()
        self.events_written = 0
        self.status_weights = [
            (list(table), list(table.values())) for _limit, table in STATUS_BY_AGE
        ]

    def ages(self) -> list[int]:
        """Day ages of all cases, oldest first: customers exist before they return."""
        weights = day_weights(self.anchor)
        ages = self.rng.choices(range(HISTORY_DAYS), weights=weights, k=self.size)
        return sorted(ages, reverse=True)

    def run(self) -> GenerateResult:
        started = time.monotonic()
        ages = self.ages()
        customers_before = len(self.customers)
        for start in range(0, len(ages), BATCH_CASES):
            batch = self.plan_batch(ages[start : start + BATCH_CASES])
            with transaction.atomic():
                write_batch(batch)
            done = start + len(batch.cases)
            rate = done / (time.monotonic() - started)
            self.progress(
                f"cases {done}/{self.size}, events {self.events_written} "
                f"({rate:,.0f} cases/s)"
            )
        with transaction.atomic():
            write_counters(self.counters)
            reset_sequences()
        return GenerateResult(
            cases=self.size,
            customers=len(self.customers) - customers_before,
            events=self.events_written,
            seconds=time.monotonic() - started,
        )

    def plan_batch(self, ages: list[int]) -> Batch:
        batch = Batch()
        planned = []
        for age in ages:
            index = bracket_of(age)
            statuses, weights = self.status_weights[index]
            status = self.rng.choices(statuses, weights=weights)[0]
            template = self.rng.choice(self.pool[(index, status)])
            planned.append((self._received_at(template, age), template))
        planned.sort(key=lambda item: item[0])
        for received_at, template in planned:
            self._copy(batch, template, received_at)
        return batch

    def _received_at(self, template: Template, age: int) -> dt.datetime:
        # Whole days keep the story's local time of day (opening hours).
        template_age = (self.anchor - template.received_at).days
        return template.received_at - dt.timedelta(days=age - template_age)

    def _customer(self, batch: Batch, received_at: dt.datetime, store: Store) -> int:
        if self.customers and self.rng.random() < REPEAT_SHARE:
            # Cubing favours the earliest customers: a few complain again and again.
            pick = int(len(self.customers) * self.rng.random() ** 3)
            return self.customers[pick][0]
        rng = self.rng
        phone = ""
        while not phone or phone in self.phones:
            phone = "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9))
        self.phones.add(phone)
        email = (
            f"user{rng.randrange(100000, 999999)}@{rng.choice(texts.EMAIL_DOMAINS)}"
            if rng.random() < 0.3
            else ""
        )
        street = rng.choice(texts.STREETS[store.city])
        address = (
            f"{store.city}市{street}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}01室"
        )
        name = rng.choice(texts.SURNAMES) + rng.choice(texts.GIVEN_NAMES)
        pk = self.ids.take(Customer)
        batch.customers.append(
            {
                "id": pk,
                "name": crypto.encrypt(name),
                "phone": crypto.encrypt(phone),
                "email": crypto.encrypt(email) if email else "",
                "address": crypto.encrypt(address),
                "phone_index": crypto.phone_index(phone),
                "email_index": crypto.email_index(email) if email else "",
                "created_at": received_at,
            }
        )
        self.customers.append((pk, received_at))
        return pk

    def _copy(self, batch: Batch, template: Template, received_at: dt.datetime) -> None:
        available = (self.anchor - received_at).total_seconds() / 60 - 1
        scale = min(1.0, available / template.span) if template.span > 0 else 1.0

        def at(minute: float | None) -> dt.datetime | None:
            if minute is None:
                return None
            return received_at + dt.timedelta(minutes=minute * scale)

        case_id = self.ids.take(Case)
        day = local_day(received_at, template.store.time_zone)
        self.counters[day] = self.counters.get(day, 0) + 1
        number = f"KS-{day}-{self.counters[day]:04d}"
        customer_id = self._customer(batch, received_at, template.store)
        row = dict(template.case)
        row.update({f: at(m) for f, m in template.times.items()})
        words = number.lower().split("-") + template.tokens
        if self.rng.random() < 0.5:
            detail = self.rng.randrange(len(DETAILS))
            row["description"] = template.description + DETAILS[detail]
            words += self.detail_tokens[detail]
        row.update(
            id=case_id,
            number=number,
            customer_id=customer_id,
            received_at=received_at,
            created_at=received_at,
            search_text=" ".join(dict.fromkeys(words)),
        )
        batch.cases.append(row)
        batch.fts.append((case_id, row["search_text"]))
        refs = self._children(batch, template, case_id, at)
        self._events(batch, template, row, customer_id, refs, at)

    def _children(
        self,
        batch: Batch,
        template: Template,
        case_id: int,
        at: Callable[[float | None], dt.datetime | None],
    ) -> dict[str, list[dict[str, Any]]]:
        plans = []
        for plan in template.plans:
            copy = {**plan, "id": self.ids.take(HandlingPlan), "case_id": case_id}
            copy["proposed_at"] = at(plan["proposed_at"])
            copy["decided_at"] = at(plan["decided_at"])
            plans.append(copy)
        requests = []
        for request in template.requests:
            copy = {
                **request,
                "id": self.ids.take(CollaborationRequest),
                "case_id": case_id,
            }
            for name in ("due_at", "requested_at", "answered_at"):
                copy[name] = at(request[name])
            requests.append(copy)
        batch.plans += plans
        batch.requests += requests
        return {"plan": plans, "request": requests}

    def _events(
        self,
        batch: Batch,
        template: Template,
        case: dict[str, Any],
        customer_id: int,
        refs: dict[str, list[dict[str, Any]]],
        at: Callable[[float | None], dt.datetime | None],
    ) -> None:
        rows = []
        for minute, kind, actor, visibility, message, data, ref in template.events:
            if ref is not None:
                data = _filled(data, ref, refs, customer_id)
            if kind == "case.received":
                message = _("Complaint received as %(number)s.") % {
                    "number": case["number"]
                }
            rows.append(
                {
                    "case_id": case["id"],
                    "created_at": at(minute),
                    "actor_id": actor,
                    "type": kind,
                    "visibility": visibility,
                    "message": message,
                    "data": data,
                }
            )
        if case["id"] % LONG_TIMELINE_EVERY == 0 and template.span > 0:
            rows += self._long_timeline(case, template, len(rows), at)
        for row in rows:
            row["id"] = self.ids.take(CaseEvent)
        batch.events += rows
        self.events_written += len(rows)

    def _long_timeline(
        self,
        case: dict[str, Any],
        template: Template,
        have: int,
        at: Callable[[float | None], dt.datetime | None],
    ) -> list[dict[str, Any]]:
        """Notes by the case's staff until the timeline holds 30 events."""
        missing = LONG_TIMELINE_EVENTS - have
        staff = [case["owner_id"]] + (
            [case["assignee_id"]] if case["assignee_id"] else []
        )
        return [
            {
                "case_id": case["id"],
                "created_at": at(template.span * (n + 1) / (missing + 1) + 0.0005),
                "actor_id": self.rng.choice(staff),
                "type": "note.added",
                "visibility": Visibility.INTERNAL,
                "message": self.rng.choice(texts.NOTES),
                "data": {},
            }
            for n in range(max(0, missing))
        ]


def _filled(
    data: dict[str, Any],
    ref: tuple[str, int],
    refs: dict[str, list[dict[str, Any]]],
    customer_id: int,
) -> dict[str, Any]:
    # The same references kesu.demo.generator fills in, with this copy's ids.
    kind, index = ref
    data = dict(data)
    if kind == "customer":
        data["customer"] = customer_id
    elif kind == "plan":
        data["plan"] = refs["plan"][index]["id"]
    else:
        request = refs["request"][index]
        data["request"] = request["id"]
        if "due_at" in data:
            data["due_at"] = request["due_at"].isoformat()
    return data


def _insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> None:
    """Insert rows with every concrete column, values prepared for the database."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column or f.name) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
    ops = connection.ops
    adapters: list[Callable[[Any], Any]] = []
    for f in fields:
        internal = f.get_internal_type()
        if internal == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif internal == "JSONField":
            adapters.append(lambda v: ops.adapt_json_value(v, None))
        elif internal == "DecimalField":
            adapters.append(lambda v: ops.adapt_decimalfield_value(Decimal(v), 10, 2))
        elif internal == "DateField":
            adapters.append(ops.adapt_datefield_value)
        else:
            adapters.append(lambda v: v)
    names = [f.attname for f in fields]
    params = [
        [adapt(row[name]) for adapt, name in zip(adapters, names, strict=True)]
        for row in rows
    ]
    if not params:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one statement: several times executemany's rate.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, params)


def write_batch(batch: Batch) -> None:
    """Insert one batch, parents before children."""
    _insert(Customer, batch.customers)
    _insert(Case, batch.cases)
    _insert(HandlingPlan, batch.plans)
    _insert(CollaborationRequest, batch.requests)
    _insert(CaseEvent, batch.events)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {search.FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
                batch.fts,
            )


def write_counters(counters: dict[str, int]) -> None:
    """Each day's counter at the highest number used, as `next_case_number` expects."""
    CaseNumberCounter.objects.bulk_create(
        [CaseNumberCounter(day=day, last=last) for day, last in counters.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
        batch_size=1000,
    )


def reset_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids given here (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    tables = (Customer, Case, CaseEvent, HandlingPlan, CollaborationRequest)
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            top = f"(SELECT COALESCE(MAX(id), 1) FROM {table})"  # noqa: S608
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {top})", [table]
            )
        cursor.execute("ANALYZE")


def generate(
    *,
    size: int,
    seed: int = DEFAULT_SEED,
    anchor: dt.datetime = DEFAULT_ANCHOR,
    progress: Progress = lambda message: None,
) -> GenerateResult:
    """Add `size` generated cases (with customers, plans, requests and timelines)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    generator = Generator(size=size, seed=seed, anchor=anchor, progress=progress)
    return generator.run()
