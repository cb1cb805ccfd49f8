"""Writing a plan: one INSERT … SELECT per table and chunk of cases.

With the staging tables in place (`staging.py`), the database makes every row of a
chunk of cases with one set-based statement per table, moving each template row to
its case's day, squeezing its timeline and filling in its ids. Secondary indexes
(and the events' primary key) are dropped first and rebuilt after when the load at
least doubles the tables, foreign keys are not checked row by row (the rows are
consistent by construction), and on PostgreSQL two sessions load chunks side by side.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from bench.generate.plan import Plan
from bench.generate.pool import CASE_TIMES, Pool
from bench.generate.staging import (
    STAGING,
    Dialect,
    quoted,
    stage_plan,
    stage_templates,
    write_customers,
)
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
from kesu.demo import texts

CHUNK_CASES = 20_000
LOADED = (Case, CaseEvent, HandlingPlan, CollaborationRequest)
Execute = Callable[[str], None]
Job = Callable[[Execute], tuple[int, float] | None]


def _insert_select(
    model: type[models.Model],
    source: str,
    join: str,
    overrides: dict[str, str],
    where: str,
) -> str:
    """INSERT … SELECT with every concrete column: `overrides` or the staged one."""
    columns = [str(f.column) for f in model._meta.concrete_fields]
    values = [overrides.get(c, f"s.{c}") for c in columns]
    table = model._meta.db_table
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM bench_gen_copy p "
        f"JOIN {source} s ON {join} {where}"
    )


def chunk_statements(
    dialect: Dialect, low: int, high: int, part: str = "both"
) -> list[str]:
    """The rows of cases low…high: the "cases", their "children" or "both"."""
    d = dialect
    where = f"WHERE p.case_id BETWEEN {low} AND {high}"

    def at(minutes: str) -> str:
        return d.ts(f"p.received + {minutes} * p.scale * 60")

    case = {
        "id": "p.case_id",
        "number": "p.number",
        "customer_id": "p.customer",
        "received_at": d.ts("p.received"),
        "created_at": d.ts("p.received"),
        "description": "x.description",
        "search_text": "lower(replace(p.number, '-', ' ')) || ' ' || x.tokens",
    }
    case.update({name: at(f"s.m_{name}") for name in CASE_TIMES})
    received = _("Complaint received as %(number)s.").split("%(number)s")
    request_id = "p.request_base + s.ref_index"
    with_request = d.jset("s.data", "request", request_id)
    with_due = d.jset(
        f"({with_request})", "due_at", d.iso("p.received + s.due_m * p.scale * 60")
    )
    event = {
        "id": "p.event_base + s.id",
        "case_id": "p.case_id",
        # A thousandth of a minute per position keeps squeezed timelines in order.
        "created_at": d.ts("p.received + (s.m * p.scale + s.id * 0.001) * 60"),
        "message": f"CASE WHEN s.type = 'case.received' THEN {quoted(received[0])} "
        f"|| p.number || {quoted(received[1])} ELSE s.message END",
        "data": "CASE s.ref_kind "
        f"WHEN 'customer' THEN {d.jset('s.data', 'customer', 'p.customer')} "
        f"WHEN 'plan' THEN {d.jset('s.data', 'plan', 'p.plan_base + s.ref_index')} "
        f"WHEN 'request' THEN CASE WHEN s.due_m IS NULL THEN {with_request} "
        f"ELSE {with_due} END ELSE s.data END",
    }
    note = {
        "id": "p.event_base + s.n_events + g.n",
        "case_id": "p.case_id",
        "created_at": at("(s.m_span * (g.n + 1) / (p.extra_notes + 1) + 0.0005)"),
        "actor_id": "CASE WHEN s.assignee_id IS NULL OR (p.case_id + g.n) % 2 = 0 "
        "THEN s.owner_id ELSE s.assignee_id END",
        "type": "'note.added'",
        "visibility": quoted(Visibility.INTERNAL),
        "message": "t.message",
        "data": "'{}'::jsonb" if d.pg else "'{}'",
    }
    plan = {
        "id": "p.plan_base + s.id",
        "case_id": "p.case_id",
        "proposed_at": at("s.m_proposed"),
        "decided_at": at("s.m_decided"),
    }
    request = {
        "id": "p.request_base + s.id",
        "case_id": "p.case_id",
        "due_at": at("s.m_due"),
        "requested_at": at("s.m_requested"),
        "answered_at": at("s.m_answered"),
    }
    notes = len(texts.NOTES)
    cases = [
        _insert_select(
            Case,
            "bench_gen_case",
            "s.id = p.template JOIN bench_gen_text x ON x.id = p.text",
            case,
            f"{where} ORDER BY p.case_id",
        )
    ]
    if not d.pg:
        cases.append(
            f"INSERT INTO {search.FTS_TABLE} (rowid, body) "  # noqa: S608
            f"SELECT id, search_text FROM cases_case WHERE id BETWEEN {low} AND {high}"
        )
    children = [
        _insert_select(
            HandlingPlan, "bench_gen_hplan", "s.case_id = p.template", plan, where
        ),
        _insert_select(
            CollaborationRequest,
            "bench_gen_request",
            "s.case_id = p.template",
            request,
            where,
        ),
        _insert_select(
            CaseEvent, "bench_gen_event", "s.case_id = p.template", event, where
        ),
        _insert_select(
            CaseEvent,
            "bench_gen_case",
            "s.id = p.template JOIN bench_gen_n g ON g.n < p.extra_notes "
            f"JOIN bench_gen_note t ON t.id = (p.case_id / 100 * 7 + g.n) % {notes}",
            note,
            f"{where} AND p.extra_notes > 0",
        ),
    ]
    return {"cases": cases, "children": children, "both": cases + children}[part]


@dataclass
class Index:
    table: str
    name: str
    sql: str  # builds it again
    drop: str


def droppable_indexes(cursor: Any, dialect: Dialect) -> list[Index]:
    """Indexes of the loaded tables to build after the load.

    The secondary ones, and on PostgreSQL the primary keys no foreign key points at
    (the events'): a B-tree kept up row by row costs the inserts more than one sort.
    """
    tables = [m._meta.db_table for m in LOADED]
    if dialect.pg:
        cursor.execute(
            "SELECT t.relname, i.relname, pg_get_indexdef(i.oid), "
            "k.conname, pg_get_constraintdef(k.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            "LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid "
            "AND k.conrelid = x.indrelid "
            "WHERE t.relname = ANY(%s) AND (k.oid IS NULL OR (k.contype = 'p' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint f "
            "WHERE f.contype = 'f' AND f.confrelid = t.oid)))",
            [tables],
        )
        return [
            Index(table, name, sql, f"DROP INDEX {name}")
            if constraint is None
            else Index(
                table,
                name,
                f"ALTER TABLE {table} ADD CONSTRAINT {constraint} {definition}",
                f"ALTER TABLE {table} DROP CONSTRAINT {constraint}",
            )
            for table, name, sql, constraint, definition in cursor.fetchall()
        ]
    marks = ", ".join(["%s"] * len(tables))
    cursor.execute(
        "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
        f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tables,
    )
    return [Index(t, n, sql, f"DROP INDEX {n}") for t, n, sql in cursor.fetchall()]


@dataclass
class LoadResult:
    chunk_seconds: list[float] = field(default_factory=list)
    chunk_cases: list[int] = field(default_factory=list)
    chunk_events: list[int] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    def median_rate(self, counts: list[int]) -> float:
        rates = [n / s for n, s in zip(counts, self.chunk_seconds, strict=True) if s]
        return statistics.median(rates) if rates else 0.0


def _chunks(plan: Plan) -> list[tuple[int, int, int]]:
    """(first case id, last case id, events) per chunk."""
    events = plan.event_base - plan.event_base[0]
    chunks = []
    for start in range(0, len(plan.case_id), CHUNK_CASES):
        stop = min(start + CHUNK_CASES, len(plan.case_id))
        end_events = plan.events if stop == len(plan.case_id) else int(events[stop])
        chunks.append(
            (
                int(plan.case_id[start]),
                int(plan.case_id[stop - 1]),
                end_events - int(events[start]),
            )
        )
    return chunks


@contextmanager
def _parallel_sessions(count: int) -> Iterator[list[psycopg.Connection[Any]]]:
    """Extra PostgreSQL sessions on the same database, fast-load settings on."""
    s = connection.settings_dict
    conninfo = psycopg.conninfo.make_conninfo(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )
    sessions = [psycopg.connect(conninfo, autocommit=True) for _n in range(count)]
    try:
        for session in sessions:
            session.execute("SET synchronous_commit = off")
            session.execute("SET maintenance_work_mem = '512MB'")
            superuser = session.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            if superuser and superuser[0]:
                # Foreign keys are not checked row by row: the rows are made consistent.
                session.execute("SET session_replication_role = replica")
        yield sessions
    finally:
        for session in sessions:
            session.close()


def _run_parallel(
    sessions: list[psycopg.Connection[Any]], jobs: list[Job]
) -> list[tuple[int, float] | None]:
    """Jobs over the sessions, each session taking the next job when free."""
    free = list(sessions)
    lock = threading.Lock()

    def run(job: Job) -> tuple[int, float] | None:
        with lock:
            session = free.pop()

        def execute(sql: str) -> None:
            session.execute(sql.encode())

        try:
            with session.transaction():
                return job(execute)
        finally:
            with lock:
                free.append(session)

    with ThreadPoolExecutor(len(sessions)) as executor:
        return list(executor.map(run, jobs))


@contextmanager
def _sqlite_fast_load(cursor: Any) -> Iterator[None]:
    """No journal syncs or foreign-key checks while loading (outside transactions)."""
    if connection.in_atomic_block:
        yield
        return
    execute = cursor.execute
    for pragma in (
        "foreign_keys = OFF",
        "journal_mode = MEMORY",
        "synchronous = OFF",
        "cache_size = -1048576",
        "temp_store = MEMORY",
    ):
        execute(f"PRAGMA {pragma}")
    try:
        yield
    finally:
        for pragma in (
            "journal_mode = WAL",
            "synchronous = NORMAL",
            "foreign_keys = ON",
        ):
            execute(f"PRAGMA {pragma}")


def load(
    plan: Plan,
    pool: Pool,
    customers: Sequence[tuple[Any, ...]],
    *,
    existing: int,
    progress: Callable[[str], None],
) -> LoadResult:
    """Write customers and every row of the plan, then indexes, counters, sequences."""
    dialect = Dialect(connection.vendor)
    result = LoadResult()
    parallel = dialect.pg and not connection.in_atomic_block
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        _sqlite_fast_load(cursor) if not dialect.pg else _nothing(),
    ):
        with transaction.atomic():
            stage_templates(cursor, dialect, pool)
            result.phases["stage templates"] = time.monotonic() - started
            began = time.monotonic()
            stage_plan(cursor, dialect, plan)
            result.phases["stage plan"] = time.monotonic() - began
            began = time.monotonic()
            write_customers(cursor, dialect, customers)
            result.phases["write customers"] = time.monotonic() - began
            # Inside a caller's transaction PostgreSQL cannot build an index on a
            # table with deferred foreign-key checks pending: keep them there.
            keep = len(plan.case_id) < existing or (dialect.pg and not parallel)
            drop = [] if keep else droppable_indexes(cursor, dialect)
            for index in drop:
                cursor.execute(index.drop)
            if dialect.pg:
                for name in STAGING:
                    cursor.execute(f"ANALYZE {name}")
        chunks = _chunks(plan)
        jobs = _jobs(dialect, chunks, drop, len(plan.case_id), progress)
        began = time.monotonic()
        if parallel:
            # A case-table index is built while the other session writes the events:
            # its CREATE INDEX waits for the last case chunk's commit, no longer.
            with _parallel_sessions(2) as sessions:
                timings = _run_parallel(sessions, jobs)
        else:
            timings = []
            for run in jobs:
                with transaction.atomic():
                    timings.append(run(cursor.execute))
        result.phases["rows and indexes"] = time.monotonic() - began
        seconds: dict[int, float] = {}
        for timing in timings:
            if timing is not None:
                seconds[timing[0]] = seconds.get(timing[0], 0.0) + timing[1]
        result.chunk_seconds = [seconds[c[0]] for c in chunks]
        result.chunk_cases = [c[1] - c[0] + 1 for c in chunks]
        result.chunk_events = [c[2] for c in chunks]
        began = time.monotonic()
        with transaction.atomic():
            write_counters(plan.counters)
            reset_sequences(dialect)
            for name in STAGING:
                cursor.execute(f"DROP TABLE {name}")
        if not connection.in_atomic_block:
            if not dialect.pg:
                cursor.execute("PRAGMA analysis_limit = 1000")  # samples, as PG does
            for model in (Customer, *LOADED):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        result.phases["finish"] = time.monotonic() - began
    return result


def _jobs(
    dialect: Dialect,
    chunks: list[tuple[int, int, int]],
    drop: list[Index],
    total: int,
    progress: Callable[[str], None],
) -> list[Job]:
    """Case chunks, the case table's indexes, child chunks, the children's indexes."""
    lock = threading.Lock()
    done = [0, 0]

    def rows(chunk: tuple[int, int, int], part: str) -> Job:
        def run(execute: Execute) -> tuple[int, float]:
            began = time.monotonic()
            for sql in chunk_statements(dialect, chunk[0], chunk[1], part):
                execute(sql)
            seconds = time.monotonic() - began
            with lock:
                done[part == "children"] += chunk[1] - chunk[0] + 1
                progress(f"{part}: {done[part == 'children']:,}/{total:,} cases")
            return chunk[0], seconds

        return run

    def build(index: Index) -> Job:
        def run(execute: Execute) -> None:
            began = time.monotonic()
            execute(index.sql)
            progress(f"index {index.name}: {time.monotonic() - began:.1f} s")

        return run

    case_table = Case._meta.db_table
    # The slowest index first (the full-text GIN), so it overlaps the most.
    first = sorted(
        (i for i in drop if i.table == case_table), key=lambda i: "gin" not in i.sql
    )
    # The event table's indexes are the biggest sorts: they start first.
    events = CaseEvent._meta.db_table
    later = sorted(
        (i for i in drop if i.table != case_table), key=lambda i: i.table != events
    )
    return (
        [rows(c, "cases") for c in chunks]
        + [build(i) for i in first]
        + [rows(c, "children") for c in chunks]
        + [build(i) for i in later]
    )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def write_counters(counters: dict[str, int]) -> None:
    """Each day's counter at the highest number used, as `next_case_number` expects."""
    CaseNumberCounter.objects.bulk_create(
        [CaseNumberCounter(day=day, last=last) for day, last in counters.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
        batch_size=1000,
    )


def reset_sequences(dialect: Dialect) -> None:
    """Move PostgreSQL's id sequences past the ids given here (SQLite needs nothing)."""
    if not dialect.pg:
        return
    with connection.cursor() as cursor:
        for model in (Customer, *LOADED):
            table = model._meta.db_table
            top = f"(SELECT COALESCE(MAX(id), 1) FROM {table})"  # noqa: S608
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), {top})", [table]
            )
