"""Queueing background work from inside a write (django-tasks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import normalize_json, task_enqueued
from django_tasks_db.models import DBTaskResult, get_date_max

# Set by `tasks_collected`: the database-queued tasks of a run of writes.
_collected: ContextVar[list[tuple[Task[Any, Any], tuple[Any, ...]]] | None] = (
    ContextVar("tasks_collected", default=None)
)


def enqueue_with_write(task: Task[Any, Any], *args: Any) -> None:
    """Queue the task so that it exists exactly when the current write commits.

    The database backend keeps its queue in this database: the task row is written in
    the same transaction, atomic with the write, and on SQLite no second write
    transaction then queues for the lock after the commit. Any other backend (Redis,
    immediate, dummy) gets the task once the transaction has committed, so a write
    that rolls back queues nothing there either.
    """
    if _queues_in_default_database(task):
        collected = _collected.get()
        if collected is None:
            task.enqueue(*args)
        else:
            collected.append((task, args))
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


@contextmanager
def tasks_collected() -> Iterator[None]:
    """Queue the database backend's tasks of a block in one INSERT when it ends.

    For a run of writes in one transaction (an import batch): the rows are those
    `enqueue` would write, one per task; a block that raises queues nothing.
    """
    collected: list[tuple[Task[Any, Any], tuple[Any, ...]]] = []
    token = _collected.set(collected)
    try:
        yield
    finally:
        _collected.reset(token)
    rows: list[DBTaskResult[Any, Any]] = []
    senders: list[type[DatabaseBackend]] = []
    for task, args in collected:
        backend = cast(DatabaseBackend, task.get_backend())  # all that is collected
        backend.validate_task(task)  # type: ignore[arg-type]  # django_tasks vs django.tasks stubs
        rows.append(
            DBTaskResult(
                id=backend._get_id(),
                args_kwargs=normalize_json({"args": list(args), "kwargs": {}}),
                priority=task.priority,
                task_path=task.module_path,
                queue_name=task.queue_name,
                # What `enqueue` stores for a task to run at once.
                run_after=task.run_after or get_date_max(),
                backend_name=backend.alias,
            )
        )
        senders.append(type(backend))
    for sender, row in zip(
        senders, DBTaskResult.objects.bulk_create(rows), strict=True
    ):
        task_enqueued.send(sender, task_result=row.task_result)


def _queues_in_default_database(task: Task[Any, Any]) -> bool:
    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )
