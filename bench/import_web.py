"""The web process while a big import runs beside it (issue 3: "a 100,000-row file
imports in the background without blocking the web process").

`import_web` measures two loads on the real server, first quiet, then while
`kesu import` of a generated CSV runs in its own process as the task worker would
run it: the case list page (reads; SQLite's WAL lets them run beside a writer) and
API intake (writes, which take turns with the import's batches for SQLite's one
write lock). The figure is each load's p99 with the import over p99 without.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import stats, wrk
from bench.intake import (
    BODIES,
    IMPORT_PRESET,
    WARM_UP_SECONDS,
    _wrk_post,
    complaint_bodies,
    import_csv_write,
    import_preset,
    intake_token,
)
from bench.scenarios import Context, Load
from bench.server import START_TIMEOUT, Server
from kesu.accounts.models import Store
from kesu.intake.models import ImportJob


def run(server: Server, load: Load, ctx: Context, rows: int) -> list[dict[str, Any]]:
    """Each load quiet, then beside the import of a `rows`-row CSV; the import
    must still be running when the loads end (else the file was too small)."""
    import_preset()
    stores = list(
        Store.objects.filter(is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    token = intake_token()
    options = {
        "seconds": load.seconds,
        "connections": load.connections,
        "threads": min(load.threads, load.connections),
    }
    with tempfile.TemporaryDirectory(prefix="kesu-import-web-") as workdir:
        bodies = Path(workdir) / "bodies.jsonl"
        bodies.write_text("\n".join(complaint_bodies(stores, BODIES)) + "\n")

        def loads(**options: int) -> dict[str, dict[str, Any]]:
            read = wrk.run(server.url, ["/cases/"], ctx.headers("session"), **options)
            write = _wrk_post(server.url, token, bodies, **options)
            return {"list_page": read, "intake_api": write}

        loads(**{**options, "seconds": WARM_UP_SECONDS})  # workers past their start
        quiet = loads(**options)
        path = Path(workdir) / f"import-web-{time.time_ns()}.csv"
        import_csv_write(path, rows, stores, int(time.time()))
        importer = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "kesu.cli", "import", str(path)]
            + ["--preset", IMPORT_PRESET],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        try:
            job = _first_batch(path.name, importer)
            rows_before, started = job.processed_rows, time.perf_counter()
            busy = loads(**options)
            seconds = time.perf_counter() - started
            overlapped = importer.poll() is None
        finally:
            # The figure is the web beside a running import, not the whole file.
            importer.terminate()
            importer.wait()
    job.refresh_from_db()
    imported = (job.processed_rows - rows_before) / seconds
    return [
        _result(name, quiet[name], busy[name], overlapped=overlapped, rows_s=imported)
        for name in quiet
    ]


def _first_batch(name: str, importer: subprocess.Popen[bytes]) -> ImportJob:
    """The import's job once its first batch committed (Django and jieba loaded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and importer.poll() is None:
        job = ImportJob.objects.filter(original_name=name).first()
        if job is not None and job.processed_rows:
            return job
        time.sleep(0.5)
    raise RuntimeError(f"kesu import of {name} wrote no batch (code {importer.poll()})")


def _result(
    name: str,
    quiet: dict[str, Any],
    busy: dict[str, Any],
    *,
    overlapped: bool,
    rows_s: float,
) -> dict[str, Any]:
    figures = ("throughput", "p50_ms", "p95_ms", "p99_ms", "errors", "non_2xx")
    quiet = {k: v for k, v in quiet.items() if k in figures}
    busy = {k: v for k, v in busy.items() if k in figures}
    return {
        "name": f"import_web_{name}",
        "description": f"{name} while `kesu import` runs in another process "
        "(target) vs without (ceiling); ratio = p99 with ÷ p99 without",
        "kind": "http",
        "import_overlapped_load": overlapped,
        "import_rows_per_s": rows_s,
        "runs": [{"target": busy, "ceiling": quiet}],
        "summary": {
            "target": stats.summarize([busy]),
            "ceiling": stats.summarize([quiet]),
            "ratio": stats.summarize(
                [{"ratio": busy["p99_ms"] / quiet["p99_ms"] if quiet["p99_ms"] else 0}]
            )["ratio"],
        },
        "peak_rss_bytes": {},
    }
