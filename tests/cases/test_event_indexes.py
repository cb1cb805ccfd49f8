"""The timeline table keeps only indexes that answer queries (migration 0005)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

TABLE = "cases_caseevent"
BEFORE = [("cases", "0004_search_vector")]
AFTER = [("cases", "0005_event_indexes")]


def _indexes_by_columns() -> dict[tuple[str, ...], list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    found: dict[tuple[str, ...], list[str]] = {}
    for name, info in constraints.items():
        if info["index"] and not info["primary_key"]:
            found.setdefault(tuple(info["columns"]), []).append(name)
    return found


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _assert_lean(indexes: dict[tuple[str, ...], list[str]]) -> None:
    assert indexes[("type",)] == ["event_type"]  # no LIKE twin on PostgreSQL
    assert ("case_id",) not in indexes
    assert indexes[("case_id", "created_at")] == ["event_case_created"]
    assert ("actor_id",) in indexes
    assert ("created_at",) in indexes


@pytest.mark.django_db
def test_the_timeline_has_one_type_index_and_no_lone_case_index() -> None:
    _assert_lean(_indexes_by_columns())


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_and_forth() -> None:
    try:
        _migrate(BEFORE)
        before = _indexes_by_columns()
        assert len(before[("type",)]) == (2 if connection.vendor == "postgresql" else 1)
        assert len(before[("case_id",)]) == 1
        assert "event_type" not in sum(before.values(), [])
    finally:
        _migrate(AFTER)
    _assert_lean(_indexes_by_columns())
