"""`kesu serve`: the web server and the task worker, started and stopped together."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

# gthread, not sync: Kesu often runs on a closed network without a buffering proxy in
# front, where a sync worker is held by every slow client and keep-alive connection.
# Threads share each worker's memory; Django keeps one DB connection per thread.
WORKER_CLASS = "gthread"
THREADS_PER_WORKER = 4
# Gunicorn waits this long for requests in flight; the task worker for its task.
GRACEFUL_SECONDS = 30
POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


class Command(BaseCommand):
    help = "Run gunicorn and the django-tasks database worker until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=settings.KESU_BIND)
        parser.add_argument("--workers", type=int, default=settings.KESU_WEB_WORKERS)

    def handle(self, *args: Any, bind: str, workers: int, **options: Any) -> None:
        self._check_static_files()
        self._signals: list[int] = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        children = {
            "gunicorn": _start(_gunicorn_argv(bind, workers)),
            "task worker": _start(_worker_argv()),
        }
        for path in settings.KESU_WORKER_STARTUP:
            import_string(path)()
        self.stdout.write(f"Kesu is serving on http://{bind}/ (Ctrl+C stops it)")
        failed = self._wait(children)
        _stop(children, force=lambda: len(self._signals) > 1)
        if failed:
            code = children[failed].returncode
            raise CommandError(f"{failed} exited with code {code}; stopped the rest.")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)

    def _wait(self, children: dict[str, subprocess.Popen[bytes]]) -> str | None:
        """Block until a signal arrives (None) or a child exits (its name)."""
        while not self._signals:
            for name, child in children.items():
                if child.poll() is not None:
                    return name
            time.sleep(POLL_SECONDS)
        return None

    def _check_static_files(self) -> None:
        # Without DEBUG, pages name hashed files from the manifest; a missing manifest
        # would turn every page into a server error.
        manifest = settings.STATIC_ROOT / "staticfiles.json"
        if not settings.DEBUG and not manifest.exists():
            raise CommandError(
                f"No {manifest}: run `kesu collectstatic --noinput` first."
            )


def _gunicorn_argv(bind: str, workers: int) -> list[str]:
    return [
        *(sys.executable, "-m", "gunicorn", "kesu.wsgi:application"),
        *("--bind", bind, "--workers", str(workers)),
        *("--worker-class", WORKER_CLASS, "--threads", str(THREADS_PER_WORKER)),
        *("--graceful-timeout", str(GRACEFUL_SECONDS), "--access-logfile", "-"),
        # The control socket defaults to one path per user; two instances would clash.
        "--no-control-socket",
    ]


def _worker_argv() -> list[str]:
    # No autoreload: the reloader forks a grandchild that a forwarded signal misses.
    return [sys.executable, "-m", "kesu.cli", "db_worker", "--no-reload"]


def _terminate_with_parent() -> None:
    """In the child, before exec: get SIGTERM when `kesu serve` dies, even by SIGKILL.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere the children outlive a killed serve.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KESU_HOME": str(settings.HOME_DIR)}
    # Own process group: a terminal's Ctrl+C reaches only us, and each child gets one
    # SIGTERM from us (a second signal would make the task worker abort its task).
    return subprocess.Popen(  # noqa: S603
        argv, env=env, process_group=0, preexec_fn=_terminate_with_parent
    )


def _stop(
    children: dict[str, subprocess.Popen[bytes]], force: Callable[[], bool]
) -> None:
    """SIGTERM every running child, then SIGKILL what outlives the grace period."""
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + GRACEFUL_SECONDS + 5
    for child in children.values():
        while child.poll() is None:
            if force() or time.monotonic() > deadline:
                child.kill()
            time.sleep(POLL_SECONDS)
