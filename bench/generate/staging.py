"""Staging tables: the played stories, their texts and the per-case plan.

They go in with COPY on PostgreSQL (executemany on SQLite) as `bench_gen_*` tables
(UNLOGGED on PostgreSQL), which `load.py`'s set-based statements copy from. The
template rows keep the model's columns, prepared by the model's own fields, plus
the minutes after receipt that move with each copy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from bench.generate.plan import TEXTS_PER_TEMPLATE, Plan
from bench.generate.pool import CASE_TIMES, Pool
from bench.generate.shape import LONG_TIMELINE_EVENTS
from kesu.cases.models import (
    Case,
    CaseEvent,
    CollaborationRequest,
    Customer,
    HandlingPlan,
)
from kesu.demo import texts

STAGING = (
    "bench_gen_case",
    "bench_gen_event",
    "bench_gen_hplan",
    "bench_gen_request",
    "bench_gen_text",
    "bench_gen_note",
    "bench_gen_n",
    "bench_gen_copy",
)


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def ts(self, seconds: str) -> str:
        """A datetime column value from epoch seconds (NULL stays NULL)."""
        if self.pg:
            return f"to_timestamp({seconds})"
        return f"strftime('%Y-%m-%d %H:%M:%f', {seconds}, 'unixepoch')"

    def iso(self, seconds: str) -> str:
        """The ISO text `datetime.isoformat()` gives for a UTC instant."""
        if self.pg:
            pattern = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
            return f"to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', '{pattern}')"
        return f"strftime('%Y-%m-%dT%H:%M:%f+00:00', {seconds}, 'unixepoch')"

    def jset(self, data: str, key: str, value: str) -> str:
        if self.pg:
            return f"{data} || jsonb_build_object('{key}', {value})"
        return f"json_set({data}, '$.{key}', {value})"

    def create_like(self, name: str, model: type[models.Model]) -> str:
        table = model._meta.db_table
        if self.pg:
            return f"CREATE UNLOGGED TABLE {name} AS SELECT * FROM {table} WITH NO DATA"  # noqa: S608
        return f"CREATE TABLE {name} AS SELECT * FROM {table} WHERE 0"  # noqa: S608

    def create(self, name: str, columns: str) -> str:
        unlogged = "UNLOGGED " if self.pg else ""
        return f"CREATE {unlogged}TABLE {name} ({columns})"


def _write(
    cursor: Any,
    dialect: Dialect,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Rows into a table: COPY on PostgreSQL, executemany on SQLite."""
    names = ", ".join(columns)
    if dialect.pg:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        cursor.executemany(sql, rows)


def _model_rows(
    objects: Sequence[models.Model],
    extra: Sequence[str],
    extras: Sequence[Sequence[Any]],
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every concrete column prepared for the database, then the extra columns."""
    if not objects:
        return [], []
    fields = objects[0]._meta.concrete_fields
    columns = [str(f.column) for f in fields] + list(extra)
    rows = [
        tuple(f.get_db_prep_value(getattr(o, f.attname), connection) for f in fields)
        + tuple(more)
        for o, more in zip(objects, extras, strict=True)
    ]
    return columns, rows


def stage_templates(cursor: Any, dialect: Dialect, pool: Pool) -> None:
    """The played stories, their texts, the notes and a numbers table."""
    for name in STAGING:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
    times = [f"m_{name}" for name in CASE_TIMES] + ["m_span", "n_events"]
    staged = [
        ("bench_gen_case", Case, times),
        ("bench_gen_event", CaseEvent, ["m", "ref_kind", "ref_index", "due_m"]),
        ("bench_gen_hplan", HandlingPlan, ["m_proposed", "m_decided"]),
        (
            "bench_gen_request",
            CollaborationRequest,
            ["m_due", "m_requested", "m_answered"],
        ),
    ]
    for name, model, extra in staged:
        cursor.execute(dialect.create_like(name, model))
        for column in extra:
            kind = "varchar(20)" if column == "ref_kind" else "double precision"
            cursor.execute(f"ALTER TABLE {name} ADD COLUMN {column} {kind}")
    cases, events, plans, requests = [], [], [], []
    case_extra, event_extra, plan_extra, request_extra = [], [], [], []
    for tid, t in enumerate(pool.templates):
        case = Case(
            **{
                f.attname: getattr(t.case, f.attname)
                for f in Case._meta.concrete_fields
            }
        )
        case.id, case.number, case.customer_id = tid, "", 0
        cases.append(case)
        case_extra.append([t.minutes[n] for n in CASE_TIMES] + [t.span, len(t.events)])
        start = t.case.received_at
        for position, (
            m,
            kind,
            actor,
            vis,
            message,
            data,
            ref,
            index,
            due,
        ) in enumerate(t.events):
            events.append(
                CaseEvent(
                    id=position,
                    case_id=tid,
                    created_at=start + dt.timedelta(minutes=m),
                    actor_id=actor,
                    type=kind,
                    visibility=vis,
                    message=message,
                    data=data,
                )
            )
            event_extra.append((m, ref, index, due))
        for index, p in enumerate(t.plans):
            values = {k: v for k, v in p.items() if not k.startswith("m_")}
            plans.append(
                HandlingPlan(id=index, case_id=tid, proposed_at=start, **values)
            )
            plan_extra.append((p["m_proposed"], p["m_decided"]))
        for index, r in enumerate(t.requests):
            values = {k: v for k, v in r.items() if not k.startswith("m_")}
            requests.append(
                CollaborationRequest(
                    id=index, case_id=tid, due_at=start, requested_at=start, **values
                )
            )
            request_extra.append((r["m_due"], r["m_requested"], r["m_answered"]))
    objects: list[Sequence[models.Model]] = [cases, events, plans, requests]
    extras: list[Sequence[Sequence[Any]]] = [
        case_extra,
        event_extra,
        plan_extra,
        request_extra,
    ]
    for (name, _model, extra), rows_of, more in zip(
        staged, objects, extras, strict=True
    ):
        columns, rows = _model_rows(rows_of, extra, more)
        if rows:
            _write(cursor, dialect, name, columns, rows)
    _stage_small(cursor, dialect, pool)


def _stage_small(cursor: Any, dialect: Dialect, pool: Pool) -> None:
    execute = cursor.execute
    execute(
        dialect.create("bench_gen_text", "id bigint, description text, tokens text")
    )
    rows = [
        (tid * TEXTS_PER_TEMPLATE + offset, description, tokens)
        for tid, t in enumerate(pool.templates)
        for offset, (description, tokens) in enumerate(t.texts())
    ]
    _write(cursor, dialect, "bench_gen_text", ["id", "description", "tokens"], rows)
    execute(dialect.create("bench_gen_note", "id bigint, message text"))
    notes = list(enumerate(texts.NOTES))
    _write(cursor, dialect, "bench_gen_note", ["id", "message"], notes)
    execute(dialect.create("bench_gen_n", "n bigint"))
    numbers = [(n,) for n in range(LONG_TIMELINE_EVENTS)]
    _write(cursor, dialect, "bench_gen_n", ["n"], numbers)
    for name in ("bench_gen_case", "bench_gen_text"):
        execute(f"CREATE INDEX {name}_id ON {name} (id)")
    for name in ("bench_gen_event", "bench_gen_hplan", "bench_gen_request"):
        execute(f"CREATE INDEX {name}_case ON {name} (case_id)")


COPY_COLUMNS = (
    "case_id",
    "template",
    "text",
    "received",
    "scale",
    "customer",
    "number",
    "event_base",
    "plan_base",
    "request_base",
    "extra_notes",
)


def stage_plan(cursor: Any, dialect: Dialect, plan: Plan) -> None:
    """The per-case plan, one row per case, keyed by case id."""
    cursor.execute(
        dialect.create(
            "bench_gen_copy",
            "case_id bigint PRIMARY KEY, template bigint, text bigint, "
            "received double precision, scale double precision, customer bigint, "
            "number varchar(20), event_base bigint, plan_base bigint, "
            "request_base bigint, extra_notes bigint",
        )
    )
    step = 100_000
    for start in range(0, len(plan.case_id), step):
        rows = plan.rows(start, start + step)
        _write(cursor, dialect, "bench_gen_copy", COPY_COLUMNS, rows)


def write_customers(
    cursor: Any, dialect: Dialect, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Encrypted customers (see `customers.py`), their first complaint as created_at."""
    field_ = Customer._meta.get_field("created_at")
    prepared = [
        row[:-1]
        + (
            field_.get_db_prep_value(
                dt.datetime.fromtimestamp(row[-1], dt.UTC), connection
            ),
        )
        for row in rows
    ]
    columns = [
        "id",
        "name",
        "phone",
        "email",
        "address",
        "phone_index",
        "email_index",
        "created_at",
    ]
    _write(cursor, dialect, Customer._meta.db_table, columns, prepared)
