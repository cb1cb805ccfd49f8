"""What a demo complaint says: text, product, channel, time and classification."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import NamedTuple

from kesu.accounts.models import Store
from kesu.cases.models import Case, Category, Channel, ImpactGrade, Severity
from kesu.demo import texts
from kesu.demo.records import Refs
from kesu.demo.tables import CHANNEL_WEIGHTS

# Local hours 8:00–21:59; calls peak late morning and after lunch.
HOUR_WEIGHTS = [2, 5, 7, 7, 6, 6, 7, 7, 6, 5, 5, 5, 3, 2]


class Complaint(NamedTuple):
    price: int  # of the product, in yuan: scales refunds
    initial_severity: str  # as received; triage may raise it later


def fill_complaint(
    case: Case,
    *,
    rng: random.Random,
    refs: Refs,
    category: Category,
    subcategory: Category,
    anchor: dt.datetime,
    age_days: float,
) -> Complaint:
    """Fill the intake fields of an unsaved case for the (sub-)category."""
    kinds, template = rng.choice(texts.COMPLAINTS[subcategory.code])
    product, spec = rng.choice([(p, s) for p, s in refs.products if s.kind in kinds])
    case.received_at = _received_at(rng, case.store.time_zone, anchor, age_days)
    local = case.received_at.astimezone(zoneinfo.ZoneInfo(case.store.time_zone))
    purchased_on = local.date() - dt.timedelta(days=rng.randrange(2, 700))
    case.purchased_on = purchased_on
    case.description = _description(rng, template, spec, case.store, purchased_on)
    case.demand = rng.choice(texts.DEMANDS[category.code])
    case.channel = rng.choices(
        list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values())
    )[0]
    case.product = product
    case.product_model = f"{spec.name} {spec.model_number}"
    if spec.kind != "furniture":
        case.serial_number = f"SN{rng.randrange(10**9, 10**10)}"
    if case.channel in {Channel.IMPORT, Channel.API, Channel.WEB}:
        platform = rng.choice(texts.PLATFORMS)
        case.order_number = f"{platform}{rng.randrange(10**11, 10**12)}"
    case.category, case.subcategory = category, subcategory
    case.severity = _severity(rng, category.code)
    case.impact_grade = rng.choices(
        [ImpactGrade.C, ImpactGrade.B, ImpactGrade.A], weights=[0.8, 0.16, 0.04]
    )[0]
    raised_later = case.severity != Severity.GENERAL and rng.random() >= 0.6
    return Complaint(spec.price, Severity.GENERAL if raised_later else case.severity)


def _description(
    rng: random.Random,
    template: str,
    spec: texts.ProductSpec,
    store: Store,
    purchased_on: dt.date,
) -> str:
    values = {
        "product": spec.name,
        "days": rng.randrange(3, 60),
        "hours": rng.choice([10, 12, 15, 18, 24]),
        "amount": rng.choice([80, 120, 150, 200, 260, 300, 399, 500]),
        "month": purchased_on.month,
        "day": purchased_on.day,
        "store": store.name,
    }
    opening = rng.choice(texts.OPENINGS).format(**values)
    body = template.format(**values)
    # "…买的洗衣机，买的洗衣机…" reads badly: drop the opening when both name it.
    if opening.endswith(f"{spec.name}，") and body.startswith(
        ("买的", "收到的", "新买的")
    ):
        opening = ""
    return opening + body + rng.choice(texts.CLOSINGS)


def _severity(rng: random.Random, category_code: str) -> str:
    if category_code == "safety":
        return rng.choice([Severity.URGENT, Severity.MAJOR])
    return rng.choices(
        [Severity.GENERAL, Severity.URGENT, Severity.MAJOR], weights=[0.82, 0.14, 0.04]
    )[0]


def _received_at(
    rng: random.Random, time_zone: str, anchor: dt.datetime, age_days: float
) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(time_zone)
    day = anchor.astimezone(zone).date() - dt.timedelta(days=int(age_days))
    hour = rng.choices(range(8, 22), weights=HOUR_WEIGHTS)[0]
    local = dt.datetime.combine(
        day, dt.time(hour, rng.randrange(60), rng.randrange(60)), zone
    )
    received_at = local.astimezone(dt.UTC)
    latest = anchor - dt.timedelta(minutes=5)
    if received_at > latest:
        received_at = latest - dt.timedelta(minutes=rng.randrange(0, 180))
    return received_at
