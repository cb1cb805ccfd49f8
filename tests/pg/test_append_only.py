"""PostgreSQL refuses to rewrite the case timeline even through raw SQL (R-SEC-4)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from kesu.cases.models import CaseEvent
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(agent, store) -> CaseEvent:
    return make_case(by=agent, store=store).events.get()


def run_raw(sql: str, params: list[object]) -> None:
    # A savepoint, so the refused statement does not abort the test's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_trigger_is_installed_on_the_event_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_caseevent'::regclass "
            "AND NOT tgisinternal"
        )
        names = [row[0] for row in cursor.fetchall()]

    assert names == ["cases_caseevent_append_only"]


def test_raw_update_is_refused(event):
    with pytest.raises(IntegrityError, match="append-only"):
        run_raw(
            "UPDATE cases_caseevent SET message = %s WHERE id = %s",
            ["rewritten history", event.pk],
        )

    assert CaseEvent.objects.get(pk=event.pk).message != "rewritten history"


def test_raw_delete_is_refused(event):
    with pytest.raises(IntegrityError, match="append-only"):
        run_raw("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_raw_insert_is_still_allowed(event):
    run_raw(
        "INSERT INTO cases_caseevent "
        "(case_id, created_at, type, visibility, message, data) "
        "VALUES (%s, now(), 'note.added', 'internal', '', '{}')",
        [event.case_id],
    )

    assert event.case.events.count() == 2
