"""Case numbers: KS-YYYYMMDD-NNNN on the receiving store's local date (R-IN-3).

The counter row for the day is incremented with one INSERT … ON CONFLICT … RETURNING
inside the caller's transaction. On PostgreSQL the row lock is held until commit, so
concurrent creators queue; on SQLite the IMMEDIATE transaction already serialises
writers. Like any sequence it guarantees uniqueness, not the absence of gaps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import connection

from kesu.cases.models import CaseNumberCounter

# The table name comes from the model, never from input.
_TABLE = CaseNumberCounter._meta.db_table
_UPSERT = (
    f"INSERT INTO {_TABLE} (day, last) VALUES (%s, 1) "  # noqa: S608
    f"ON CONFLICT (day) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last"
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
