"""`instances_insert` stores rows exactly as `bulk_create` does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from kesu.accounts.models import Store
from kesu.cases.models import Customer
from kesu.core.bulk import instances_insert
from kesu.intake.models import ImportPreset


def raw_row(obj: Model) -> dict[str, Any]:
    """The row as the database holds it, without its key."""
    table = connection.ops.quote_name(obj._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [obj.pk])  # noqa: S608
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    row.pop("id")
    return row


def presets(prefix: str, store) -> list[ImportPreset]:
    return [
        ImportPreset(
            name=f"{prefix}-{n}",
            platform="shop",
            label="" if n % 2 else f"标签{n}",
            mapping={"description": ["内容"], "n": n},
            store=store if n % 2 else None,
        )
        for n in range(40)
    ]


def test_rows_equal_those_bulk_create_writes(db, store, time_machine):
    time_machine.move_to(dt.datetime(2026, 9, 1, 8, tzinfo=dt.UTC), tick=False)
    expected = ImportPreset.objects.bulk_create(presets("a", store))

    inserted = presets("b", store)
    instances_insert(inserted)

    assert all(obj.pk and not obj._state.adding for obj in inserted)
    for one, other in zip(expected, inserted, strict=True):
        theirs, ours = raw_row(one), raw_row(other)
        assert ours.pop("name")[1:] == theirs.pop("name")[1:]
        assert ours == theirs  # auto_now filled, JSON and key columns the same
    assert ImportPreset.objects.get(pk=inserted[3].pk).mapping["n"] == 3


def test_encrypted_fields_are_encrypted_and_a_run_is_one_statement(db):
    customers = [
        Customer(name=f"王{n}", phone=f"1380013{n:04d}", email="") for n in range(300)
    ]

    with CaptureQueriesContext(connection) as queries:
        instances_insert(customers)

    assert len(queries) == 1
    row = raw_row(customers[7])
    assert row["phone"] not in ("", "13800130007")
    assert row["email"] == ""
    assert Customer.objects.get(pk=customers[7].pk).phone == "13800130007"


def test_an_unsaved_related_object_is_refused(db):
    preset = ImportPreset(name="x", platform="shop", store=Store(code="new"))

    with pytest.raises(ValueError, match="related object unsaved"):
        instances_insert([preset])
