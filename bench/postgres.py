"""A throw-away PostgreSQL cluster for when KESU_DATABASE_URL names none.

PostgreSQL refuses to run as root, so as root the binaries run as an unprivileged
user (created if missing). The data directory is kept between runs, so a generated
data set is loaded once; the server runs only while the benchmark does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.server import free_port

PG_BIN = Path(os.environ.get("KESU_BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "pgtest"
DATABASE = "kesu"
# Modest settings for a laptop-sized machine; fsync stays on (durability is measured).
SERVER_OPTIONS = "-c shared_buffers=512MB -c max_connections=200 -c work_mem=16MB"


def _as_owner() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", PG_USER], check=True)  # noqa: S603,S607
    return ["runuser", "-u", PG_USER, "--"]


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True)  # noqa: S603


@contextmanager
def cluster(data_dir: Path) -> Iterator[str]:
    """Start (initialising once) a cluster in data_dir; yields its database URL."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"No PostgreSQL binaries in {PG_BIN} (KESU_BENCH_PG_BIN)")
    prefix = _as_owner()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    fresh = not (data_dir / "PG_VERSION").exists()
    if fresh:
        data_dir.mkdir(parents=True, exist_ok=True)
        if prefix:
            shutil.chown(data_dir, PG_USER, PG_USER)
        _run(
            [*prefix, str(PG_BIN / "initdb"), "-D", str(data_dir), "-U", "postgres"]
            + ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        )
    port = free_port()
    options = f"-p {port} -k {data_dir} -c listen_addresses=127.0.0.1 {SERVER_OPTIONS}"
    _run(
        [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-o", options]
        + ["-l", str(data_dir / "server.log"), "-w", "start"]
    )
    try:
        if fresh:
            _run(
                [*prefix, str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port)]
                + ["-U", "postgres", DATABASE]
            )
        yield f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        _run(
            [*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "stop"]
        )
