"""Per-case choices as numpy arrays: day, template, customer, number, row ids.

Nothing here is per-row Python except the case numbers' strings and the customers'
plaintexts (a bounded pool). Every choice comes from one seeded numpy generator in
a fixed order, so the same seed, pool and starting ids give the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.generate.pool import Pool
from bench.generate.shape import (
    CUSTOMER_POOL,
    DETAILS,
    HISTORY_DAYS,
    LONG_TIMELINE_EVENTS,
    LONG_TIMELINE_EVERY,
    REPEAT_SHARE,
    day_weights,
)
from kesu.demo import texts
from kesu.demo.tables import STATUS_BY_AGE

TEXTS_PER_TEMPLATE = len(DETAILS) + 1  # without a detail sentence, then with each


@dataclass
class CustomerSeed:
    """A new customer's plaintext; encrypted later, in parallel."""

    id: int
    name: str
    phone: str
    email: str
    address: str
    created_at: float  # epoch seconds of the first complaint


@dataclass
class Plan:
    """One entry per case, in case-id (= receipt) order."""

    case_id: np.ndarray
    template: np.ndarray
    text: np.ndarray  # template * TEXTS_PER_TEMPLATE + detail + 1
    received: np.ndarray  # epoch seconds
    scale: np.ndarray  # timeline squeeze for cases younger than their story
    customer: np.ndarray
    numbers: list[str]
    event_base: np.ndarray
    plan_base: np.ndarray
    request_base: np.ndarray
    extra_notes: np.ndarray  # notes added to reach a long timeline
    counters: dict[str, int]
    customers: list[CustomerSeed]
    events: int
    plans: int
    requests: int

    def rows(self, start: int, stop: int) -> list[tuple[object, ...]]:
        """The staging rows of cases [start, stop)."""
        columns = (
            self.case_id,
            self.template,
            self.text,
            self.received,
            self.scale,
            self.customer,
            self.numbers,
            self.event_base,
            self.plan_base,
            self.request_base,
            self.extra_notes,
        )
        parts = [
            c[start:stop] if isinstance(c, list) else c[start:stop].tolist()
            for c in columns
        ]
        return list(zip(*parts, strict=True))


@dataclass
class TemplateArrays:
    received: np.ndarray
    age_days: np.ndarray
    span: np.ndarray
    events: np.ndarray
    plans: np.ndarray
    requests: np.ndarray
    tz: np.ndarray
    city: list[str]
    time_zones: list[str]

    @classmethod
    def of(cls, pool: Pool, anchor: dt.datetime) -> TemplateArrays:
        zones = sorted({t.case.store.time_zone for t in pool.templates})
        ts = pool.templates
        return cls(
            received=np.array([t.case.received_at.timestamp() for t in ts]),
            age_days=np.array([(anchor - t.case.received_at).days for t in ts]),
            span=np.array([t.span for t in ts]),
            events=np.array([len(t.events) for t in ts], dtype=np.int64),
            plans=np.array([len(t.plans) for t in ts], dtype=np.int64),
            requests=np.array([len(t.requests) for t in ts], dtype=np.int64),
            tz=np.array([zones.index(t.case.store.time_zone) for t in ts]),
            city=[t.case.store.city for t in ts],
            time_zones=zones,
        )


def _offsets(instants: np.ndarray, zone: str) -> np.ndarray:
    """UTC offsets in seconds of a time zone at each instant (looked up per hour)."""
    hours, inverse = np.unique(instants // 3600, return_inverse=True)
    tz = zoneinfo.ZoneInfo(zone)
    offsets = np.array(
        [
            dt.datetime.fromtimestamp(h * 3600, tz).utcoffset() or dt.timedelta()
            for h in hours.tolist()
        ]
    )
    offsets = np.array([o.total_seconds() for o in offsets.tolist()])
    return offsets[inverse]


def _local_days(received: np.ndarray, tz: np.ndarray, zones: list[str]) -> np.ndarray:
    """YYYYMMDD of each instant in its store's time zone."""
    local = received.copy()
    for index, zone in enumerate(zones):
        rows = tz == index
        local[rows] += _offsets(received[rows], zone)
    days = local.astype("int64").astype("datetime64[s]").astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    years = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months).astype(np.int64) + 1
    local_days: np.ndarray = years * 10000 + month * 100 + day
    return local_days


def _numbers(
    days: np.ndarray, counters: dict[str, int]
) -> tuple[list[str], dict[str, int]]:
    """KS-day-NNNN per case, continuing each day's counter; the counters after."""
    order = np.lexsort((np.arange(len(days)), days))
    unique, first, count = np.unique(days[order], return_index=True, return_counts=True)
    base = np.array([counters.get(str(d), 0) for d in unique.tolist()], dtype=np.int64)
    rank = np.arange(len(days)) - np.repeat(first, count)
    sequence = np.empty(len(days), dtype=np.int64)
    sequence[order] = np.repeat(base, count) + rank + 1
    numbers = [
        f"KS-{d}-{s:04d}" for d, s in zip(days.tolist(), sequence.tolist(), strict=True)
    ]
    after = {str(d): int(b + c) for d, b, c in zip(unique, base, count, strict=True)}
    return numbers, after


def _bases(first_id: int, counts: np.ndarray) -> np.ndarray:
    """The first id of each case's rows when the rows are numbered case by case."""
    ends = np.cumsum(counts)
    bases: np.ndarray = first_id + ends - counts
    return bases


def _pick(rng: np.random.Generator, options: Sequence[str], size: int) -> list[str]:
    return [options[i] for i in rng.integers(len(options), size=size).tolist()]


def _customer_seeds(
    rng: np.random.Generator, ids: np.ndarray, created: np.ndarray, cities: list[str]
) -> list[CustomerSeed]:
    size = len(ids)
    # Distinct phone numbers without a lookup: an affine map of the index mod 10⁹.
    suffix = (387_420_489 * np.arange(size) + int(rng.integers(10**9))) % 10**9
    prefixes = _pick(rng, "3578", size)
    names = [
        s + g
        for s, g in zip(
            _pick(rng, texts.SURNAMES, size),
            _pick(rng, texts.GIVEN_NAMES, size),
            strict=True,
        )
    ]
    has_email = (rng.random(size) < 0.3).tolist()
    mailbox = rng.integers(100000, 999999, size=size).tolist()
    domains = _pick(rng, texts.EMAIL_DOMAINS, size)
    house = rng.integers(1, 999, size=size).tolist()
    floor = rng.integers(1, 30, size=size).tolist()
    street = rng.random(size).tolist()
    seeds = []
    for n, (pk, at, city) in enumerate(
        zip(ids.tolist(), created.tolist(), cities, strict=True)
    ):
        streets = texts.STREETS[city]
        address = (
            f"{city}市{streets[int(street[n] * len(streets))]}"
            f"{house[n]}号{floor[n]}01室"
        )
        email = f"user{mailbox[n]}@{domains[n]}" if has_email[n] else ""
        phone = f"1{prefixes[n]}{suffix[n]:09d}"
        seeds.append(CustomerSeed(pk, names[n], phone, email, address, at))
    return seeds


def plan_cases(
    *,
    size: int,
    seed: int,
    anchor: dt.datetime,
    pool: Pool,
    first_ids: dict[str, int],
    counters: dict[str, int],
) -> Plan:
    """Choose everything about `size` cases; ids start at `first_ids`."""
    rng = np.random.default_rng(seed)
    tmpl = TemplateArrays.of(pool, anchor)
    weights = np.array(day_weights(anchor))
    ages = rng.choice(HISTORY_DAYS, size=size, p=weights / weights.sum())
    limits = np.array([limit for limit, _table in STATUS_BY_AGE])
    brackets = np.minimum(np.searchsorted(limits, ages, side="right"), len(limits) - 1)
    template = np.empty(size, dtype=np.int64)
    for index, (_limit, table) in enumerate(STATUS_BY_AGE):
        where = np.flatnonzero(brackets == index)
        p = np.array(list(table.values()), dtype=float)
        chosen = rng.choice(len(table), size=len(where), p=p / p.sum())
        for position, status in enumerate(table):
            rows = where[chosen == position]
            first, count = pool.groups[(index, status)]
            template[rows] = first + rng.integers(count, size=len(rows))
    # Whole days keep the story's local time of day (opening hours).
    received = tmpl.received[template] - (ages - tmpl.age_days[template]) * 86400.0
    order = np.argsort(received, kind="stable")
    template, received = template[order], received[order]
    span = tmpl.span[template]
    available = (anchor.timestamp() - received) / 60 - 1
    squeeze = np.clip(available / np.where(span > 0, span, 1), 0, 1)
    scale = np.where(span > 0, squeeze, 1.0)
    case_id = first_ids["case"] + np.arange(size, dtype=np.int64)
    detail = np.where(rng.random(size) < 0.5, rng.integers(len(DETAILS), size=size), -1)
    # Customers: new ones at a rate that spreads the pool over the whole history;
    # a returning one is drawn with a bias to the earliest (some complain often).
    pool_size = min(math.ceil(size * (1 - REPEAT_SHARE)), CUSTOMER_POOL)
    is_new = rng.random(size) < pool_size / size
    is_new[0] = True
    is_new &= np.cumsum(is_new) <= pool_size
    introduced = np.cumsum(is_new)
    earlier: np.ndarray = introduced - is_new
    returning = np.floor(earlier * rng.random(size) ** 2).astype(np.int64)
    customer = first_ids["customer"] + np.where(is_new, introduced - 1, returning)
    new_rows = np.flatnonzero(is_new)
    customers = _customer_seeds(
        rng,
        customer[new_rows],
        received[new_rows],
        [tmpl.city[t] for t in template[new_rows].tolist()],
    )
    days = _local_days(received, tmpl.tz[template], tmpl.time_zones)
    numbers, after = _numbers(days, counters)
    events = tmpl.events[template]
    long = (case_id % LONG_TIMELINE_EVERY == 0) & (span > 0)
    extra = np.where(long, np.maximum(0, LONG_TIMELINE_EVENTS - events), 0)
    plans, requests = tmpl.plans[template], tmpl.requests[template]
    return Plan(
        case_id=case_id,
        template=template,
        text=template * TEXTS_PER_TEMPLATE + detail + 1,
        received=received,
        scale=scale,
        customer=customer,
        numbers=numbers,
        event_base=_bases(first_ids["event"], events + extra),
        plan_base=_bases(first_ids["plan"], plans),
        request_base=_bases(first_ids["request"], requests),
        extra_notes=extra,
        counters=after,
        customers=customers,
        events=int((events + extra).sum()),
        plans=int(plans.sum()),
        requests=int(requests.sum()),
    )
