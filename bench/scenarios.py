"""The scenarios: what is fetched, by whom, and what it is compared with."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from bench import stats, wrk
from bench.generate import DETAILS, LONG_TIMELINE_EVENTS, LONG_TIMELINE_EVERY
from bench.server import Server
from kesu.accounts.models import Department, Store, User
from kesu.api.auth import CASES_READ, CASES_WRITE
from kesu.api.models import ApiToken
from kesu.cases.models import Case
from kesu.cases.workflow import Status

BENCH_USER = "manager"  # the demo manager sees every case
SEARCHES = ["噪音", "安全隐患", "消费者协会", "赠品", "照片 视频"]
DETAIL_CASES = 50


@dataclass
class Load:
    """How hard and how long each measurement drives the server."""

    seconds: int = 10
    connections: int = 8
    threads: int = 2
    repeat: int = 3


@dataclass
class Context:
    """What the scenarios need from the database: a login, a token, sample rows."""

    session_cookie: str
    token: str
    department: int
    received_from: dt.date
    received_to: dt.date
    long_cases: list[str]
    store_code: str

    @classmethod
    def prepare(cls) -> Context:
        user = User.objects.get(username=BENCH_USER)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        _token, raw = ApiToken.issue(
            user=user, name="kesu bench", scopes=[CASES_READ, CASES_WRITE]
        )
        newest = Case.objects.order_by("-received_at").values_list(
            "received_at", flat=True
        )[0]
        ids = range(LONG_TIMELINE_EVERY, LONG_TIMELINE_EVERY * (DETAIL_CASES + 1))
        long_cases = list(
            Case.objects.filter(id__in=ids[::LONG_TIMELINE_EVERY]).values_list(
                "number", flat=True
            )
        )
        return cls(
            session_cookie=f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
            token=raw,
            department=Department.objects.get(code="after-sales").pk,
            store_code=Store.objects.order_by("code").values_list("code", flat=True)[0],
            received_from=(newest - dt.timedelta(days=60)).date(),
            received_to=(newest - dt.timedelta(days=30)).date(),
            long_cases=long_cases
            or list(Case.objects.values_list("number", flat=True)[:5]),
        )

    def headers(self, auth: str) -> dict[str, str]:
        if auth == "token":
            return {"Authorization": f"Bearer {self.token}"}
        return {"Cookie": self.session_cookie}


@dataclass
class HttpScenario:
    name: str
    description: str
    auth: str  # "session" (pages) or "token" (API)
    paths: Callable[[Context], list[str]]


def _filtered(ctx: Context, base: str) -> str:
    return (
        f"{base}?status={Status.HANDLING}&department={ctx.department}"
        f"&received_from={ctx.received_from}&received_to={ctx.received_to}"
    )


HTTP_SCENARIOS = [
    HttpScenario(
        "list_page", "Case list page, default filters", "session", lambda c: ["/cases/"]
    ),
    HttpScenario(
        "list_filtered",
        "Case list page, state + department + 30-day range",
        "session",
        lambda c: [_filtered(c, "/cases/")],
    ),
    HttpScenario(
        "list_search",
        "Case list page, Chinese full-text search",
        "session",
        lambda c: [f"/cases/?q={q.replace(' ', '+')}" for q in SEARCHES],
    ),
    HttpScenario(
        "list_api",
        "List API, first page of 25",
        "token",
        lambda c: ["/api/v1/cases?limit=25"],
    ),
    HttpScenario(
        "list_api_filtered",
        "List API, state + department + 30-day range",
        "token",
        lambda c: [_filtered(c, "/api/v1/cases") + "&limit=25"],
    ),
    HttpScenario(
        "detail_page",
        f"Case detail page, {LONG_TIMELINE_EVENTS}-event timeline",
        "session",
        lambda c: [f"/cases/{n}/" for n in c.long_cases],
    ),
    HttpScenario(
        "detail_api",
        f"Case detail API, {LONG_TIMELINE_EVENTS}-event timeline",
        "token",
        lambda c: [f"/api/v1/cases/{n}" for n in c.long_cases],
    ),
]
WRITE_SCENARIOS = ["db_insert", "workflow"]
DEADLINE_SCENARIOS = ["sla_due", "sla_reconcile", "sla_worker"]  # bench/sla.py
INTAKE_SCENARIOS = ["intake_api", "import_rows", "import_web"]  # intake, import_web
NEAR_DUP_SCENARIOS = ["near_dup", "near_dup_shingles"]  # bench/near_dup.py: no cases
TRIAGE_SCENARIOS = ["triage"]  # bench/triage/speed.py: no cases
PROCESS_SCENARIOS = ["page_cpu"]  # bench/page_cpu.py: the pages in process
NAMES = (
    [s.name for s in HTTP_SCENARIOS]
    + WRITE_SCENARIOS
    + DEADLINE_SCENARIOS
    + INTAKE_SCENARIOS
    + NEAR_DUP_SCENARIOS
    + TRIAGE_SCENARIOS
    + PROCESS_SCENARIOS
)
DEFAULT = [s.name for s in HTTP_SCENARIOS]


def _quote(path: str) -> str:
    return quote(path, safe="/?=&+-_.:")


def run_http(
    scenario: HttpScenario, ctx: Context, server: Server, load: Load
) -> dict[str, Any]:
    """Alternate the ceiling (/healthz) and the scenario, `repeat` times each."""
    paths = [_quote(p) for p in scenario.paths(ctx)]
    headers = ctx.headers(scenario.auth)
    wrk.check(server.url, paths, headers)
    options = {
        "seconds": load.seconds,
        "connections": load.connections,
        "threads": load.threads,
    }
    runs: list[dict[str, Any]] = []
    for _n in range(load.repeat):
        ceiling = wrk.run(server.url, ["/healthz"], {}, **options)
        target = wrk.run(server.url, paths, headers, **options)
        ratio = (
            target["throughput"] / ceiling["throughput"] if ceiling["throughput"] else 0
        )
        runs.append({"target": target, "ceiling": ceiling, "ratio": ratio})
    return {
        "name": scenario.name,
        "description": scenario.description,
        "kind": "http",
        "paths": paths[:5],
        "runs": runs,
        "summary": {
            "target": stats.summarize([r["target"] for r in runs]),
            "ceiling": stats.summarize([r["ceiling"] for r in runs]),
            "ratio": stats.summarize([{"ratio": r["ratio"]} for r in runs])["ratio"],
        },
        "peak_rss_bytes": {
            **server.peak_rss(),
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        },
    }


def failed(scenario: HttpScenario, error: Exception) -> dict[str, Any]:
    """The record of a scenario that could not be measured, and why."""
    return {
        "name": scenario.name,
        "description": scenario.description,
        "kind": "http",
        "error": str(error),
        "runs": [],
        "summary": {},
        "peak_rss_bytes": {},
    }


CEILING_TABLE = "bench_ceiling"


def insert_rate(seconds: float) -> dict[str, float]:
    """Single-row INSERT, each committed on its own, for `seconds`: rate and latency."""
    pk = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    latencies: list[float] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} "  # noqa: S608
            f"(id {pk} PRIMARY KEY, payload TEXT NOT NULL)"
        )
        started = time.perf_counter()
        deadline = started + seconds
        while (now := time.perf_counter()) < deadline:
            cursor.execute(
                f"INSERT INTO {CEILING_TABLE} (payload) VALUES (%s)",  # noqa: S608
                [DETAILS[len(latencies) % len(DETAILS)]],
            )
            latencies.append((time.perf_counter() - now) * 1000)
        elapsed = time.perf_counter() - started
        cursor.execute(f"DELETE FROM {CEILING_TABLE}")  # noqa: S608
    return {
        "throughput": len(latencies) / elapsed,
        "p50_ms": stats.percentile(latencies, 50),
        "p95_ms": stats.percentile(latencies, 95),
        "p99_ms": stats.percentile(latencies, 99),
        "min_ms": min(latencies),
        "max_ms": max(latencies),
    }


def run_db_insert(load: Load) -> dict[str, Any]:
    """The write ceiling on its own: the database's committed single-row insert rate."""
    if not connection.get_autocommit():
        raise RuntimeError("the insert ceiling needs autocommit")
    runs = [{"ceiling": insert_rate(load.seconds)} for _n in range(load.repeat)]
    return {
        "name": "db_insert",
        "description": "Raw single-row INSERT + COMMIT (write ceiling)",
        "kind": "write",
        "runs": runs,
        "summary": {"ceiling": stats.summarize([r["ceiling"] for r in runs])},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


# One case from receipt to archive through the API: (method, path, body, expected).
# The last step is refused on purpose (an archived case cannot be verified): 409.
WORKFLOW_STEPS: list[tuple[str, str, dict[str, Any], int]] = [
    ("POST", "/assignment", {"department": "after-sales"}, 200),
    ("POST", "/actions/verify", {}, 200),
    ("POST", "/verification", {"result": "confirmed", "note": "现场核实属实。"}, 200),
    ("POST", "/actions/handle", {}, 200),
    (
        "POST",
        "/plans",
        {"resolution_type": "apology", "description": "致歉并说明。"},
        201,
    ),
    ("POST", "/actions/resolve", {"resolution_note": "已致歉。"}, 200),
    ("POST", "/feedback", {"result": "satisfied", "note": "顾客满意。"}, 200),
    ("POST", "/actions/archive", {}, 200),
    ("POST", "/actions/verify", {}, 409),
]
TRANSITIONS_PER_CASE = 4


class WorkflowClient(threading.Thread):
    """One API client taking new cases through the whole workflow until the deadline."""

    def __init__(self, url: str, ctx: Context, deadline: float, index: int) -> None:
        super().__init__(daemon=True)
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.headers = {**ctx.headers("token"), "Content-Type": "application/json"}
        self.ctx, self.deadline, self.index = ctx, deadline, index
        self.latencies: list[float] = []
        self.cases = self.errors = self.conflicts = 0
        self.error_samples: list[str] = []

    def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        started = time.perf_counter()
        payload = json.dumps(body).encode()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        self.latencies.append((time.perf_counter() - started) * 1000)
        return response.status, data

    def fail(self, status: int, path: str, data: bytes) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{status} {path}: {data[:200]!r}")

    def run(self) -> None:
        n = 0
        while time.perf_counter() < self.deadline:
            n += 1
            phone = f"139{self.index:02d}{n:06d}"[:11]
            status, data = self.call(
                "POST",
                "/api/v1/cases",
                {
                    "store": self.ctx.store_code,
                    "description": "冰箱不制冷，压缩机一直响。",
                    "customer_name": "测试顾客",
                    "customer_phone": phone,
                },
            )
            if status != 201:
                self.fail(status, "/api/v1/cases", data)
                continue
            base = "/api/v1/cases/" + json.loads(data)["number"]
            for method, path, body, expected in WORKFLOW_STEPS:
                status, data = self.call(method, base + path, body)
                if status != expected:
                    self.fail(status, path, data)
                    break
                if expected == 409:
                    self.conflicts += 1
            else:
                self.cases += 1


def workflow_rate(
    server: Server, ctx: Context, load: Load
) -> tuple[dict[str, float], list[str]]:
    """Parallel clients for `load.seconds`: cases, transitions, requests per second."""
    deadline = time.perf_counter() + load.seconds
    clients = [
        WorkflowClient(server.url, ctx, deadline, index)
        for index in range(load.connections)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    latencies = [ms for c in clients for ms in c.latencies]
    cases = sum(c.cases for c in clients)
    return {
        "cases_per_s": cases / elapsed,
        "throughput": cases * TRANSITIONS_PER_CASE / elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "errors": sum(c.errors for c in clients),
        "deliberate_409": sum(c.conflicts for c in clients),
        "p50_ms": stats.percentile(latencies, 50) if latencies else 0.0,
        "p95_ms": stats.percentile(latencies, 95) if latencies else 0.0,
        "p99_ms": stats.percentile(latencies, 99) if latencies else 0.0,
        "min_ms": min(latencies, default=0.0),
        "max_ms": max(latencies, default=0.0),
    }, [s for c in clients for s in c.error_samples]


def run_workflow(ctx: Context, server: Server, load: Load) -> dict[str, Any]:
    """Transitions/s through the API, against the database's insert-and-commit rate."""
    runs: list[dict[str, Any]] = []
    samples: list[str] = []
    for _n in range(load.repeat):
        ceiling = insert_rate(min(load.seconds, 5))
        target, errors = workflow_rate(server, ctx, load)
        samples += errors
        ratio = target["requests_per_s"] / ceiling["throughput"]
        runs.append({"target": target, "ceiling": ceiling, "ratio": ratio})
    return {
        "name": "workflow",
        "description": f"{load.connections} API clients, receipt to archive "
        "(throughput = transitions/s; ratio = write requests/s ÷ insert ceiling)",
        "kind": "write",
        "runs": runs,
        "error_samples": samples[:10],
        "summary": {
            "target": stats.summarize([r["target"] for r in runs]),
            "ceiling": stats.summarize([r["ceiling"] for r in runs]),
            "ratio": stats.summarize([{"ratio": r["ratio"]} for r in runs])["ratio"],
        },
        "peak_rss_bytes": {
            **server.peak_rss(),
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        },
    }
