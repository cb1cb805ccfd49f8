"""`page_cpu`: what one request of each page and API scenario costs, in process.

The wrk scenarios measure a loaded server, where latency on two cores is mostly
queueing; this one times single requests through Django's test client against the same
data set and user (DEBUG off): the CPU time of this process per request
(`time.process_time`: on SQLite it includes the database's work, on PostgreSQL it does
not), the wall time, and the queries of one request. Figures: `throughput` is requests
per CPU second, `p50_ms`/`p95_ms`/`p99_ms` are CPU milliseconds, `wall_*` wall ones.
"""

from __future__ import annotations

import resource
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import stats
from bench.scenarios import HTTP_SCENARIOS, Context, HttpScenario

REQUESTS = 25  # per run, cycling over the scenario's paths
WARM_UP = 3  # per path: caches, jieba's dictionary, the first query plans


class PageError(RuntimeError):
    """A page answered other than 200: its figures would mean nothing."""


def _client(ctx: Context, auth: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if auth == "token":
        client.defaults["HTTP_AUTHORIZATION"] = ctx.headers("token")["Authorization"]
    else:
        name, _, key = ctx.session_cookie.partition("=")
        client.cookies[name] = key
    return client


def _get(client: Client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise PageError(f"{path} answered {response.status_code}")


def _one_run(client: Client, paths: list[str]) -> dict[str, float]:
    cpu, wall = [], []
    for index in range(REQUESTS):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        _get(client, paths[index % len(paths)])
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started_wall) * 1000)
    return {
        "throughput": 1000 / stats.percentile(cpu, 50),
        **{f"p{q}_ms": stats.percentile(cpu, q) for q in (50, 95, 99)},
        **{f"wall_p{q}_ms": stats.percentile(wall, q) for q in (50, 99)},
    }


def run_one(scenario: HttpScenario, ctx: Context, repeat: int) -> dict[str, Any]:
    """One scenario's CPU and wall time per request, and its queries."""
    client = _client(ctx, scenario.auth)
    paths = scenario.paths(ctx)
    for path in paths:
        for _ in range(WARM_UP):
            _get(client, path)
    runs = [{"target": _one_run(client, paths)} for _ in range(max(repeat, 1))]
    with CaptureQueriesContext(connection) as queries:
        _get(client, paths[0])
    summary = stats.summarize([run["target"] for run in runs])
    count = float(len(queries))
    summary["queries"] = {"median": count, "min": count, "max": count}
    return {
        "name": f"{scenario.name}_cpu",
        "description": (
            f"{scenario.description}, one request at a time in process "
            f"(DEBUG {settings.DEBUG}); req/s = requests per CPU second, ms = CPU"
        ),
        "kind": "figures",
        "runs": runs,
        "summary": {"target": summary},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


def run(ctx: Context, repeat: int) -> list[dict[str, Any]]:
    """Every page and API scenario of the wrk harness, one request at a time."""
    return [run_one(scenario, ctx, repeat) for scenario in HTTP_SCENARIOS]
