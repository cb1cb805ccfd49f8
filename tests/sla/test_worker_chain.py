"""R-SLA-4 end to end: a real `kesu db_worker` process runs the deadline chain.

The test writes a case into the test database (committed: transactional_db), and a
worker started as production starts it works through the deferred tasks: warnings,
breach, three escalations, each an event and a notification. Runs on SQLite and, in
CI, on PostgreSQL (the same test against KESU_DATABASE_URL).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kesu.cases.models import CaseEvent
from kesu.notifications.models import Notification
from kesu.sla.models import SlaPolicy
from kesu.sla.tasks import clocks_reconcile
from tests.factories import make_case

REPO = Path(__file__).resolve().parents[2]
DEADLINE_SECONDS = 90


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def worker(transactional_db, settings) -> Iterator[subprocess.Popen[bytes]]:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    env = {**os.environ, "KESU_DATABASE_URL": _database_url(), "KESU_DEBUG": "1"}
    env.pop("KESU_TASK_BACKEND", None)
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "kesu.cli",
            "db_worker",
            "--no-reload",
            "--interval",
            "0.2",
            "--no-startup-delay",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _wait_until_working()
    yield process
    process.terminate()
    process.wait(timeout=30)


def _wait_until_working() -> None:
    """A worker that is still starting would find every checkpoint passed at once."""
    probe = clocks_reconcile.enqueue()
    limit = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < limit:
        if DBTaskResult.objects.filter(id=probe.id, status="SUCCESSFUL").exists():
            return
        time.sleep(0.2)
    raise AssertionError(f"the worker ran nothing within {DEADLINE_SECONDS} s")


def _fast_response_policy() -> None:
    """The only policy: a 1-minute response target with escalations seconds apart,
    so the whole chain fits in a test; the maths is the one production uses.

    Created here: transactional tests flush the rows the data migrations seeded.
    """
    SlaPolicy.objects.all().delete()
    policy = SlaPolicy.objects.create(
        name="测试", name_en="test", escalation_minutes=[0.1, 0.2, 0.3]
    )
    policy.targets.create(kind="response", amount=1, unit="minutes")


def _wait_for(case_id: int, checkpoint: str) -> list[CaseEvent]:
    limit = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < limit:
        events = list(
            CaseEvent.objects.filter(case_id=case_id, type__startswith="sla.").order_by(
                "created_at", "id"
            )
        )
        if any(checkpoint in e.data.get("checkpoints", []) for e in events):
            return events
        time.sleep(0.5)
    raise AssertionError(f"no {checkpoint} within {DEADLINE_SECONDS} s")


def test_worker_runs_warning_breach_and_escalations_with_notifications(
    worker, agent, supervisor, manager, store, after_sales, handler
):
    _fast_response_policy()
    # Received 20 s ago: warnings at 30 s and 48 s, the breach at 60 s.
    case = make_case(
        by=agent,
        store=store,
        department=after_sales,
        assignee=handler,
        received_at=timezone.now() - dt.timedelta(seconds=20),
    )

    events = _wait_for(case.pk, "escalation:3")

    passed = [code for e in events for code in e.data["checkpoints"]]
    assert passed == [
        "warning:50",
        "warning:80",
        "breach",
        "escalation:1",
        "escalation:2",
        "escalation:3",
    ]
    assert events[-1].type == "sla.escalated"
    worker_error = worker.stderr.read1() if worker.poll() is not None else b""
    assert worker.poll() is None, worker_error
    kinds = set(Notification.objects.filter(case=case).values_list("kind", flat=True))
    failed = DBTaskResult.objects.filter(status="FAILED").values_list(
        "task_path", "exception_class_path", "traceback"
    )
    assert list(failed) == []
    assert kinds == {"deadline.warning", "deadline.breach", "deadline.escalation"}
    assert Notification.objects.filter(
        case=case, recipient=manager, kind="deadline.escalation"
    ).exists()
