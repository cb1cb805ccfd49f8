"""Queueing background work from inside a write (django-tasks)."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, router, transaction
from django_tasks.base import Task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


def enqueue_with_write(task: Task[Any, Any], *args: Any) -> None:
    """Queue the task so that it exists exactly when the current write commits.

    The database backend keeps its queue in this database: the task row is written in
    the same transaction, atomic with the write, and on SQLite no second write
    transaction then queues for the lock after the commit. Any other backend (Redis,
    immediate, dummy) gets the task once the transaction has committed, so a write
    that rolls back queues nothing there either.
    """
    if _queues_in_default_database(task):
        task.enqueue(*args)
    else:
        transaction.on_commit(lambda: task.enqueue(*args))


def _queues_in_default_database(task: Task[Any, Any]) -> bool:
    return (
        isinstance(task.get_backend(), DatabaseBackend)
        and router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS
    )
