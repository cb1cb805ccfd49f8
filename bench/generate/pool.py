"""Played stories: the templates every generated case is a copy of.

A story (`kesu.demo.story.Story`) plays one case's life the way the services record
it, but costs a few milliseconds of Python and jieba. So a few thousand are played
once, per age bracket and final status, and the database copies them (see
`load.py`). Each (bracket, status) group has its own seeded random source, so the
groups can be played in parallel processes and still come out the same.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.generate.shape import DETAILS, store_weights
from kesu.cases import search
from kesu.cases.models import Case
from kesu.cases.workflow import Status
from kesu.demo.records import PlannedCase, Refs
from kesu.demo.story import Story
from kesu.demo.tables import REQUEST_DUE_HOURS, STATUS_BY_AGE

# Datetime fields of a case that move with the copy (as minutes after receipt).
CASE_TIMES = ("status_changed_at", "resolved_at", "closed_at", "updated_at")


def _minutes(value: dt.datetime | None, start: dt.datetime) -> float | None:
    return None if value is None else (value - start).total_seconds() / 60


@dataclass
class Template:
    """One played story, as the rows its copies are made from."""

    case: Case
    minutes: dict[str, float | None]  # CASE_TIMES as minutes after receipt
    span: float  # minutes from receipt to the last mark
    # (minute, type, actor id, visibility, message, data, ref kind, ref index, due)
    events: list[tuple[Any, ...]]
    plans: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    tokens: list[str]

    def texts(self) -> Iterator[tuple[str, str]]:
        """(description, search tokens) without a detail sentence, then with each."""
        base = self.case.description
        yield base, " ".join(self.tokens)
        for tokens, detail in zip(DETAIL_TOKENS, DETAILS, strict=True):
            yield base + detail, " ".join(dict.fromkeys(self.tokens + tokens))


DETAIL_TOKENS: list[list[str]] = []


def _template(played: PlannedCase) -> Template:
    case = played.case
    start = case.received_at
    minutes = {name: _minutes(getattr(case, name), start) for name in CASE_TIMES}
    requests = [
        {
            "department_id": r.department.pk,
            "request": r.request,
            "status": r.status,
            "response": r.response,
            "requested_by_id": r.requested_by.pk,
            "answered_by_id": r.answered_by.pk if r.answered_by else None,
            "m_requested": r.minute,
            "m_due": r.minute + REQUEST_DUE_HOURS * 60,
            "m_answered": r.answered_minute,
        }
        for r in played.requests
    ]
    events = []
    for e in played.events:
        kind, index = e.ref if e.ref else (None, None)
        due = None
        if kind == "request" and index is not None and "due_at" in e.data:
            due = requests[index]["m_due"]
        actor = e.actor.pk if e.actor else None
        events.append(
            (e.minute, e.type, actor, e.visibility, e.message, e.data, kind, index, due)
        )
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
            "approval_status": p.approval_status,
            "decided_by_id": p.decided_by.pk if p.decided_by else None,
            "decision_note": p.decision_note,
            "m_proposed": p.minute,
            "m_decided": p.decided_minute,
        }
        for p in played.plans
    ]
    marks = [m for m in minutes.values() if m is not None] + [e[0] for e in events]
    parts = [
        case.product_model,
        case.serial_number,
        case.order_number,
        case.description,
        case.demand,
    ]
    return Template(
        case=case,
        minutes=minutes,
        span=max(marks, default=0.0),
        events=events,
        plans=plans,
        requests=requests,
        tokens=search.tokens(" ".join(p for p in parts if p)),
    )


@dataclass
class Pool:
    """Templates in a fixed order; each group is a contiguous run of them."""

    templates: list[Template] = field(default_factory=list)
    groups: dict[tuple[int, Status], tuple[int, int]] = field(default_factory=dict)


def _play_group(
    refs: Refs, anchor: dt.datetime, seed: int, index: int, status: Status, count: int
) -> list[Template]:
    rng = random.Random(f"{seed}/{index}/{status}")
    low = STATUS_BY_AGE[index - 1][0] if index else 0.0
    limit = STATUS_BY_AGE[index][0]
    weights = store_weights(refs.stores)
    templates = []
    for _n in range(count):
        store = rng.choices(refs.stores, weights=weights)[0]
        age = rng.uniform(low, limit)
        played = Story(rng, refs, store, anchor, status, age, 0).build()
        templates.append(_template(played))
    return templates


def play_pool(
    refs: Refs, *, seed: int, anchor: dt.datetime, per_group: int, processes: int
) -> Pool:
    """Stories for every (age bracket, final status) the age table allows."""
    if not DETAIL_TOKENS:
        # Loads jieba's dictionary before forking, so the children share it.
        DETAIL_TOKENS.extend(search.tokens(d) for d in DETAILS)
    keys = [
        (index, status)
        for index, (_limit, statuses) in enumerate(STATUS_BY_AGE)
        for status in statuses
    ]
    args = [(refs, anchor, seed, i, s, per_group) for i, s in keys]
    if processes > 1:
        # Stories touch no database, so forked children may play them.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, mp_context=context) as executor:
            played = list(executor.map(_play_group, *zip(*args, strict=True)))
    else:
        played = [_play_group(*a) for a in args]
    pool = Pool()
    for key, templates in zip(keys, played, strict=True):
        pool.groups[key] = (len(pool.templates), len(templates))
        pool.templates += templates
    return pool
