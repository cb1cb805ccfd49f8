"""Tests that need PostgreSQL: marked `pg`, skipped on other databases.

CI sets KESU_REQUIRE_PG=1 with a PostgreSQL KESU_DATABASE_URL, so there a missing
PostgreSQL fails the run instead of skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connection

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.pg)


@pytest.fixture(autouse=True)
def _require_postgresql() -> None:
    if connection.vendor == "postgresql":
        return
    message = f"needs PostgreSQL, the database is {connection.vendor}"
    if os.environ.get("KESU_REQUIRE_PG") == "1":
        pytest.fail(f"KESU_REQUIRE_PG=1 but {message}")
    pytest.skip(message)
