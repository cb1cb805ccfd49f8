"""Deadline scenarios: due-time maths, the reconcile sweep, the worker's task rate.

- `sla_due`: `due_at` over a mix of targets (elapsed, working hours, working days)
  on a Shanghai store calendar with holidays and make-up days; one core, no database.
- `sla_reconcile`: the periodic sweep over every open case's running clocks, with a
  fixed number of them overdue (the sweep queues a check for each of those).
- `sla_worker`: checks queued for overdue clocks, drained by a real `kesu db_worker
  --batch` process; checks per second, each appending its `sla.*` event.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from bench import stats
from kesu.cases.models import Case
from kesu.cases.workflow import CLOSED_STATES
from kesu.sla.calendar import office_calendar
from kesu.sla.models import Clock, TargetKind
from kesu.sla.policies import due_at
from kesu.sla.services import clocks_reconcile

DUE_COMPUTATIONS = 50_000
OVERDUE = 1_000
REPO = Path(__file__).resolve().parents[1]
TARGETS = [
    (30, "minutes"),
    (24, "hours"),
    (8, "working_hours"),
    (3, "working_days"),
    (10, "working_days"),
]


def run(name: str, repeat: int) -> dict[str, Any]:
    """Run one deadline scenario `repeat` times; the result in the report's shape."""
    runner = {"sla_due": _due, "sla_reconcile": _reconcile, "sla_worker": _worker}
    runs, description = [], ""
    for _n in range(repeat):
        figures, description = runner[name]()
        runs.append({"target": figures})
    return {
        "name": name,
        "description": description,
        "kind": "sla",
        "runs": runs,
        "summary": {"target": stats.summarize([r["target"] for r in runs])},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


def _latency(seconds: list[float]) -> dict[str, float]:
    millis = [s * 1000 for s in seconds]
    return {
        "p50_ms": stats.percentile(millis, 50),
        "p95_ms": stats.percentile(millis, 95),
        "p99_ms": stats.percentile(millis, 99),
    }


def _due() -> tuple[dict[str, float], str]:
    calendar = office_calendar("Asia/Shanghai")
    rng = random.Random(4)
    start = dt.datetime(2026, 9, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    inputs = [
        (
            start + dt.timedelta(minutes=rng.randrange(60 * 24 * 60)),
            *rng.choice(TARGETS),
        )
        for _n in range(DUE_COMPUTATIONS)
    ]
    timings = []
    began = time.perf_counter()
    for instant, amount, unit in inputs:
        before = time.perf_counter()
        due_at(instant, amount, unit, calendar)
        timings.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - began
    figures = {"throughput": DUE_COMPUTATIONS / elapsed, **_latency(timings)}
    return figures, (
        f"{DUE_COMPUTATIONS:,} due-time computations (elapsed, working hours, "
        "working days; CN holidays), one core"
    )


def _ensure_clocks() -> int:
    """A running response and resolution clock for every open case without clocks."""
    now = timezone.now()
    later = now + dt.timedelta(days=30)
    bare = (
        Case.objects.exclude(status__in=CLOSED_STATES)
        .filter(clocks__isnull=True)
        .values_list("pk", flat=True)
    )
    rows = (
        Clock(
            case_id=pk,
            kind=kind,
            amount=1,
            unit="hours",
            started_at=now,
            due_at=later,
            next_check_at=later,
        )
        for pk in bare.iterator()
        for kind in (TargetKind.RESPONSE, TargetKind.RESOLUTION)
    )
    Clock.objects.bulk_create(rows, batch_size=10_000)
    return Clock.objects.running().count()


def _make_overdue(count: int) -> None:
    """Exactly `count` running clocks whose next check has just passed."""
    now = timezone.now()
    # Earlier repetitions' overdue clocks were never worked: put them back in time.
    Clock.objects.needing_attention(now).update(
        next_check_at=now + dt.timedelta(days=30)
    )
    past = now - dt.timedelta(minutes=1)
    ids = list(
        Clock.objects.running().order_by("?").values_list("pk", flat=True)[:count]
    )
    Clock.objects.filter(pk__in=ids).update(
        started_at=past - dt.timedelta(hours=1), due_at=past, next_check_at=past
    )


def _queued_checks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path__endswith="clock_check").count()


def _clear_checks() -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__endswith="clock_check").delete()


def _reconcile() -> tuple[dict[str, float], str]:
    running = _ensure_clocks()
    _make_overdue(OVERDUE)
    _clear_checks()
    began = time.perf_counter()
    with transaction.atomic():
        queued = clocks_reconcile()
    elapsed = time.perf_counter() - began
    figures = {
        "throughput": running / elapsed,  # running clocks swept per second
        "pass_ms": elapsed * 1000,
        "queued": float(queued),
        "running_clocks": float(running),
    }
    return figures, (
        f"reconcile sweep over {running:,} running clocks ({connection.vendor}), "
        f"{OVERDUE:,} overdue → checks queued"
    )


def _worker() -> tuple[dict[str, float], str]:
    _ensure_clocks()
    _make_overdue(OVERDUE)
    _clear_checks()
    with transaction.atomic():
        queued = clocks_reconcile()
    env = {**os.environ, "KESU_TASK_BACKEND": "django_tasks_db.DatabaseBackend"}
    began = time.perf_counter()
    subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "kesu.cli",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0",
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    elapsed = time.perf_counter() - began
    left = Clock.objects.needing_attention(timezone.now()).count()
    figures = {"throughput": queued / elapsed, "seconds": elapsed, "left": float(left)}
    return figures, (
        f"{queued:,} deadline checks drained by one `kesu db_worker --batch` process "
        "(each appends an sla.* event; process start included)"
    )
