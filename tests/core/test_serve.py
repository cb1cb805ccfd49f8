"""`kesu serve`: gunicorn plus the task worker, started and stopped as one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.conftest import REPO, kesu

STARTUP_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    """Every descendant of pid, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _is_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
        return response.status, response.read()


def _wait_healthy(server: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "kesu serve exited during start-up"
        try:
            if _get(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("kesu serve did not answer /healthz in time")


@pytest.fixture
def served(production_env, tmp_path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A migrated, collected production-mode Kesu served on a free port."""
    port = _free_port()
    env = {**production_env, "KESU_BIND": f"127.0.0.1:{port}"}
    kesu("migrate", "--noinput", env=env)
    kesu("collectstatic", "--noinput", env=env)
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kesu.cli", "serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(server, base)
        yield server, base
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_serve_answers_health_and_static_files_then_stops_on_sigterm(served):
    server, base = served
    children = _children(server.pid)

    health = _get(f"{base}/healthz")
    status, script = _get(f"{base}/static/web/kesu.js")
    server.send_signal(signal.SIGTERM)
    returncode = server.wait(timeout=60)

    assert health[0] == 200
    assert status == 200
    assert script == (REPO / "kesu/web/static/web/kesu.js").read_bytes()
    assert returncode == 0
    assert len(children) >= 3  # gunicorn, its workers, the task worker
    assert not [pid for pid in children if _is_alive(pid)]


def test_serve_stops_the_worker_and_fails_when_gunicorn_dies(served):
    server, _ = served
    children = _children(server.pid)
    gunicorn = next(
        pid
        for pid in children
        if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and _parent(pid) == server.pid
    )

    os.kill(gunicorn, signal.SIGKILL)
    returncode = server.wait(timeout=60)

    assert returncode != 0
    assert not _survivors(children, grace=10)


def test_children_stop_when_serve_itself_is_killed(served):
    """Even SIGKILL on `kesu serve` leaves no gunicorn or worker behind (Linux)."""
    server, _ = served
    children = _children(server.pid)

    server.kill()
    server.wait(timeout=10)

    assert children
    assert not _survivors(children, grace=15)


def _survivors(pids: list[int], grace: float) -> list[int]:
    """The pids still alive after grace seconds (orphaned gunicorn workers poll
    for their arbiter about once a second before they exit)."""
    deadline = time.monotonic() + grace
    while (alive := [pid for pid in pids if _is_alive(pid)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    return alive


def test_serve_refuses_to_start_without_collected_static_files(production_env):
    result = kesu("serve", env=production_env, check=False)

    assert result.returncode != 0
    assert "collectstatic" in result.stderr
