"""Case numbers: KS-YYYYMMDD-NNNN on the receiving store's local date (R-IN-3).

The counter row for the day is incremented with one INSERT … ON CONFLICT … RETURNING
inside the caller's transaction. On PostgreSQL the row lock is held until commit, so
concurrent creators queue; on SQLite the IMMEDIATE transaction already serialises writers.
A rolled-back creation leaves no gap-free guarantee (like any sequence), only uniqueness.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import connection

from kesu.cases.models import CaseNumberCounter

_UPSERT = (
    f"INSERT INTO {CaseNumberCounter._meta.db_table} (day, last) VALUES (%s, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = "
    f"{CaseNumberCounter._meta.db_table}.last + 1 RETURNING last"
)


def local_day(received_at: dt.datetime, time_zone: str) -> str:
    """The YYYYMMDD date of an instant in the store's time zone."""
    return received_at.astimezone(zoneinfo.ZoneInfo(time_zone)).strftime("%Y%m%d")


def next_case_number(received_at: dt.datetime, time_zone: str) -> str:
    """Reserve the next number for the store-local day; call inside a transaction."""
    day = local_day(received_at, time_zone)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [day])
        (sequence,) = cursor.fetchone()
    return f"KS-{day}-{sequence:04d}"
