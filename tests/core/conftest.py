"""Helpers for tests that run `kesu` in a child process, as production would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kesu.core.management.commands.genkeys import generate_keys

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """An environment with KESU_DEBUG=0, fresh secrets and its own SQLite home."""
    # Drop the caller's KESU_* (e.g. CI's KESU_DATABASE_URL): these runs must not
    # write to a shared database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KESU_")}
    # Set by the browser tests' harness; `check --deploy` rightly rejects it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(generate_keys())
    env.update(KESU_HOME=str(tmp_path / "home"), KESU_DEBUG="0", KESU_HTTPS="0")
    return env


def kesu(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the `kesu` console script's entry point in a child process."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kesu.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )
