"""Tables for the terminal and the JSON document of a benchmark run."""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.db import connection

from bench.machine import environment

SCHEMA_VERSION = 1


def _mb(value: int) -> str:
    return f"{value / 2**20:.0f}"


def table(result: dict[str, Any]) -> str:
    """A scenario's medians (min–max of the throughput) and its ceiling ratio."""
    summary = result["summary"]
    lines = [f"\n{result['name']}: {result['description']}"]
    if "error" in result:
        return "\n".join([*lines, f"NOT MEASURED: {result['error']}"])
    if result["kind"] in ("sla", "figures"):
        return "\n".join([*lines, *_figure_lines(summary["target"]), _rss_line(result)])
    header = (
        f"{'':9} {'req/s':>9} {'min–max':>17} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    )
    lines.append(header)
    for label in ("target", "ceiling"):
        if label not in summary:
            continue
        s = summary[label]
        spread = f"{s['throughput']['min']:.0f}–{s['throughput']['max']:.0f}"
        lines.append(
            f"{label:9} {s['throughput']['median']:9.1f} {spread:>17} "
            f"{s['p50_ms']['median']:8.2f} {s['p95_ms']['median']:8.2f} "
            f"{s['p99_ms']['median']:8.2f}"
        )
    if "ratio" in summary:
        r = summary["ratio"]
        lines.append(
            f"ratio to ceiling: {r['median']:.4f} "
            f"(min {r['min']:.3f}, max {r['max']:.3f})"
        )
    errors = sum(
        run["target"].get("errors", 0) for run in result["runs"] if "target" in run
    )
    if errors:
        lines.append(f"ERRORS: {errors} failed requests")
    lines.append(_rss_line(result))
    return "\n".join(lines)


def _figure_lines(figures: dict[str, dict[str, float]]) -> list[str]:
    """Every figure of a scenario that is not an HTTP one: median (min–max)."""
    return [
        f"{name:>16}: {f['median']:14,.3f}  ({f['min']:,.3f} – {f['max']:,.3f})"
        for name, f in figures.items()
    ]


def _rss_line(result: dict[str, Any]) -> str:
    rss = ", ".join(f"{k} {_mb(v)} MB" for k, v in result["peak_rss_bytes"].items())
    return f"peak RSS: {rss}"


def document(
    results: list[dict[str, Any]],
    *,
    size: int,
    load: Any,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Everything needed to compare this run with another machine's or day's."""
    return {
        "schema": SCHEMA_VERSION,
        "environment": environment(),
        "database": {"vendor": connection.vendor, "cases": size},
        "load": {
            "seconds": load.seconds,
            "connections": load.connections,
            "wrk_threads": load.threads,
            "repeat": load.repeat,
            "gunicorn_workers": args.workers,
            "debug": settings.DEBUG,
        },
        "scenarios": results,
    }


def markdown(doc: dict[str, Any]) -> str:
    """One Markdown table of a run's medians, as bench/RESULTS.md quotes them."""
    env = doc["environment"]
    machine = env["machine"]
    lines = [
        f"{env['database']}, {doc['database']['cases']:,} cases; {env['date']}, "
        f"commit {env['commit']}; Python {env['python']}, Django {env['django']}; "
        f"{machine['cores']} cores, {machine['memory_bytes'] / 2**30:.0f} GiB; "
        f"wrk {doc['load']['connections']} connections × {doc['load']['seconds']} s, "
        f"{doc['load']['repeat']} runs, gunicorn {doc['load']['gunicorn_workers']} "
        "workers.",
        "",
        "| scenario | req/s (min–max) | p50 ms | p95 ms | p99 ms | ceiling req/s "
        "| ratio | peak RSS/worker MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in doc["scenarios"]:
        if "error" in result:
            lines.append(f"| {result['name']} | not measured: {result['error']} |")
            continue
        s = result["summary"]
        target = s["target"] if "target" in s else s["ceiling"]
        t = target["throughput"]
        workers = [v for k, v in result["peak_rss_bytes"].items() if "worker" in k]
        ratio = f"{s['ratio']['median']:.4f}" if "ratio" in s else "—"
        ceiling = (
            f"{s['ceiling']['throughput']['median']:,.0f}" if "ceiling" in s else "—"
        )
        p50, p95, p99 = (_ms(target, key) for key in ("p50_ms", "p95_ms", "p99_ms"))
        lines.append(
            f"| {result['name']} | {t['median']:,.1f} ({t['min']:,.1f}–{t['max']:,.1f})"
            f" | {p50} | {p95} | {p99} | {ceiling} | {ratio}"
            f" | {_mb(max(workers)) if workers else '—'} |"
        )
    return "\n".join(lines)


def _ms(figures: dict[str, dict[str, float]], key: str) -> str:
    # Deadline scenarios that time a whole pass have no per-request percentiles.
    return f"{figures[key]['median']:.2f}" if key in figures else "—"
