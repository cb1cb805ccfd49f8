"""The server under test: gunicorn with Kesu's settings, DEBUG off, on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kesu.core.management.commands.serve import THREADS_PER_WORKER, WORKER_CLASS

# Workers import Django, the API schemas and jieba's dictionary before they answer;
# on the shared 2-core machine under load that has taken over a minute.
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def peak_rss(pid: int) -> int:
    """Peak resident memory of a live process in bytes (VmHWM; 0 if unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def peak_rss(self) -> dict[str, int]:
        """Peak RSS of the gunicorn master and of each worker, by role."""
        master = self.process.pid
        result = {"gunicorn master": peak_rss(master)}
        for index, pid in enumerate(_children(master), start=1):
            result[f"gunicorn worker {index}"] = peak_rss(pid)
        return result


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on {url} within {START_TIMEOUT} s")


@contextmanager
def running(
    env: dict[str, str], *, workers: int = 2, log: Path | None = None
) -> Iterator[Server]:
    """Start gunicorn as `kesu serve` configures it; stop it on leaving the block."""
    port = free_port()
    argv = [
        *(sys.executable, "-m", "gunicorn", "kesu.wsgi:application"),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
        *("--worker-class", WORKER_CLASS, "--threads", str(THREADS_PER_WORKER)),
        "--no-control-socket",
    ]
    out = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(  # noqa: S603
        argv, env={**os.environ, **env}, stdout=out, stderr=out, process_group=0
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Server(url, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log:
            out.close()  # type: ignore[union-attr]
