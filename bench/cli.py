"""`kesu bench`: set up the database, generate data, start the server, measure, report.

The command runs in two processes. The outer one picks the database (a SQLite file
or a PostgreSQL cluster per data-set size under $KESU_HOME/bench, or
KESU_DATABASE_URL for PostgreSQL) and starts PostgreSQL when needed; the inner one
runs with the settings the server uses (DEBUG off, the same keys) so that what it
writes (sessions, tokens, generated data) is what the server reads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.conf import settings

CHILD_FLAG = "KESU_BENCH_CHILD"
# Sessions signed in the inner process must verify in the server: one shared secret.
BENCH_SECRET = "kesu-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105


def parser() -> argparse.ArgumentParser:
    from bench import scenarios

    p = argparse.ArgumentParser(
        prog="kesu bench",
        description="Benchmarks against the real server. `kesu bench generate` "
        "only loads data. Scenarios: " + ", ".join(scenarios.NAMES),
    )
    p.add_argument("scenario", nargs="*", help="scenario names, or `generate`")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--size", default="100k", help="cases: 100k, 1m or a number")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument(
        "--levels", default="1,8,32", help="intake_api: connection counts, e.g. 1,8,32"
    )
    p.add_argument(
        "--rows", default="100k", help="import_rows, import_web: rows in the CSV"
    )
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--home", type=Path, default=None, help="default $KESU_HOME/bench")
    p.add_argument(
        "--dataset",
        default="",
        help="name the data set's directories <db>-NAME-<size> (default <db>-<size>)",
    )
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    from bench import scenarios
    from bench.generate import parse_size

    args.size_n = parse_size(args.size)
    wanted = [s for s in args.scenario if s != "generate"]
    unknown = sorted(set(wanted) - set(scenarios.NAMES))
    if unknown:
        print(f"Unknown scenario(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if os.environ.get(CHILD_FLAG):
        return inner(args)
    return outer(args, argv)


def outer(args: argparse.Namespace, argv: list[str]) -> int:
    """Choose and start the database, then rerun the command inside its settings."""
    home = (args.home or settings.HOME_DIR / "bench").resolve()
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        CHILD_FLAG: "1",
        "KESU_DEBUG": "0",
        "KESU_HTTPS": "0",
        "KESU_SECRET_KEY": BENCH_SECRET,
        "KESU_PII_KEYS": ",".join(settings.PII_KEYS),
        "KESU_BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        "KESU_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KESU_LOG_LEVEL": "WARNING",
        "KESU_BENCH_HOME": str(home),
    }
    name = f"{args.dataset}-{args.size_n}" if args.dataset else str(args.size_n)
    with ExitStack() as stack:
        if args.db == "sqlite":
            env["KESU_HOME"] = str(home / f"sqlite-{name}")
            env.pop("KESU_DATABASE_URL", None)
        else:
            env["KESU_HOME"] = str(home / f"pg-home-{name}")
            url = os.environ.get("KESU_DATABASE_URL", "")
            if not url.startswith("postgres"):
                from bench.postgres import cluster

                url = stack.enter_context(cluster(home / f"pg-{name}"))
            env["KESU_DATABASE_URL"] = url
        Path(env["KESU_HOME"]).mkdir(parents=True, exist_ok=True)
        argv_child = [sys.executable, "-m", "kesu.cli", "bench", *argv]
        return subprocess.run(argv_child, env=env, check=False).returncode  # noqa: S603


def inner(args: argparse.Namespace) -> int:
    """Migrate, fill up to the size, then run the scenarios against gunicorn."""
    from django.core.management import call_command

    from bench import (
        import_web,
        intake,
        near_dup,
        page_cpu,
        report,
        scenarios,
        server,
        sla,
        wrk,
    )
    from bench.generate import DEFAULT_SEED, generate, parse_size
    from bench.triage import speed as triage_speed
    from kesu.cases.models import Case

    call_command("migrate", verbosity=0)
    have = Case.objects.count()
    # The near-duplicate scenarios load their own signatures, triage needs no cases.
    own = bool(args.scenario) and set(args.scenario) <= {
        *scenarios.NEAR_DUP_SCENARIOS,
        *scenarios.TRIAGE_SCENARIOS,
    }
    if "generate" in args.scenario or (have < args.size_n and not own):
        size = args.size_n if "generate" in args.scenario else args.size_n - have
        print(f"Generating {size:,} cases ({have:,} already there)…", flush=True)
        generated = generate(
            size=size,
            seed=DEFAULT_SEED if args.seed is None else args.seed,
            progress=lambda m: print("  " + m, flush=True),
        )
        print(
            f"Generated {generated.cases:,} cases, {generated.customers:,} customers, "
            f"{generated.events:,} events in {generated.seconds:.1f} s: "
            f"{generated.cases_per_second:,.0f} cases/s, "
            f"{generated.events_per_second:,.0f} events/s overall; chunk medians "
            f"{generated.median_cases_per_second:,.0f} cases/s, "
            f"{generated.median_events_per_second:,.0f} events/s\n  phases (s): "
            + ", ".join(f"{k} {v:.1f}" for k, v in generated.phases.items()),
            flush=True,
        )
        if args.scenario == ["generate"]:
            return 0
    names = [s for s in args.scenario if s != "generate"] or scenarios.DEFAULT
    load = scenarios.Load(args.duration, args.connections, args.threads, args.repeat)
    results: list[dict[str, Any]] = []
    http = [s for s in scenarios.HTTP_SCENARIOS if s.name in names]
    if "db_insert" in names:
        results.append(scenarios.run_db_insert(load))
        print(report.table(results[-1]), flush=True)
    for name in (n for n in scenarios.DEADLINE_SCENARIOS if n in names):
        results.append(sla.run(name, args.repeat))
        print(report.table(results[-1]), flush=True)
    if "near_dup_shingles" in names:
        results.append(near_dup.run_shingles())
        print(near_dup.table(results[-1]), flush=True)
    if "near_dup" in names:
        results.append(near_dup.run(args.size_n, args.repeat))
        print(near_dup.table(results[-1]), flush=True)
    if "triage" in names:
        results.append(triage_speed.run(args.repeat))
        print(report.table(results[-1]), flush=True)
    if "import_rows" in names:
        results.append(intake.run_import_rows(load, parse_size(args.rows)))
        print(intake.import_table(results[-1]), flush=True)
    if "page_cpu" in names:
        for figure in page_cpu.run(scenarios.Context.prepare(), args.repeat):
            results.append(figure)
            print(report.table(figure), flush=True)
    if http or {"workflow", "intake_api", "import_web"} & set(names):
        call_command("collectstatic", interactive=False, verbosity=0)
        ctx = scenarios.Context.prepare()
        home = Path(os.environ["KESU_BENCH_HOME"])
        with server.running({}, workers=args.workers, log=home / "gunicorn.log") as srv:
            for scenario in http:
                try:
                    results.append(scenarios.run_http(scenario, ctx, srv, load))
                except wrk.LoadError as exc:
                    # One broken page must not cost the figures of the others.
                    results.append(scenarios.failed(scenario, exc))
                print(report.table(results[-1]), flush=True)
            if "workflow" in names:
                results.append(scenarios.run_workflow(ctx, srv, load))
                print(report.table(results[-1]), flush=True)
            if "intake_api" in names:
                levels = tuple(int(n) for n in args.levels.split(","))
                for level in intake.run_intake_api(srv, load, levels):
                    results.append(level)
                    print(report.table(level), flush=True)
            if "import_web" in names:
                for figure in import_web.run(srv, load, ctx, parse_size(args.rows)):
                    results.append(figure)
                    print(report.table(figure), flush=True)
    document = report.document(results, size=Case.objects.count(), load=load, args=args)
    out = args.json or Path(os.environ["KESU_BENCH_HOME"]) / (
        f"results-{args.db}-{args.size_n}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    )
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    print(f"JSON written to {out}\n\n{report.markdown(document)}")
    return 0
