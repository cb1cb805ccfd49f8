"""The repository is lint-clean, formatted and type-checks (STYLE.md §10).

`python3 run.py test` runs these tools itself, with their own output, and deselects
this module (`-m "not tooling"`); it is here so that a bare `pytest` checks them too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.tooling


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(BIN / argv[0]), *argv[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_ruff_check_is_clean():
    result = _run("ruff", "check", ".")

    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_leaves_every_file_unchanged():
    result = _run("ruff", "format", "--check", ".")

    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes_on_the_typed_packages():
    result = _run("mypy", "kesu/core", "kesu/cases")

    assert result.returncode == 0, result.stdout + result.stderr
