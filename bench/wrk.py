"""Drive a server with `wrk` (Debian package), bounded in time, read its figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

LUA = Path(__file__).with_name("wrk_paths.lua")
MARKER = "BENCH-JSON "


class LoadError(RuntimeError):
    """The load generator is missing, or the target does not answer 200."""


def check(url: str, paths: list[str], headers: dict[str, str]) -> None:
    """Fetch every path once; refuse to measure anything but 200 responses."""
    for path in paths:
        request = urllib.request.Request(url + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
                final = response.url
        except urllib.error.HTTPError as exc:
            raise LoadError(f"GET {path} answered {exc.code}") from exc
        if status != 200 or final != url + path:
            raise LoadError(f"GET {path} answered {status} at {final}")


def parse(output: str) -> dict[str, float]:
    """The figures the Lua script printed (latencies in ms, throughput in req/s)."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            break
    else:
        raise LoadError("wrk printed no result:\n" + output)
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "requests": raw["requests"],
        "throughput": raw["requests"] / seconds if seconds else 0.0,
        "errors": errors,
        **{
            f"{name}_ms": raw[f"{name}_us"] / 1000
            for name in ("p50", "p95", "p99", "min", "max", "mean")
        },
    }


def run(
    url: str,
    paths: list[str],
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int,
    threads: int,
) -> dict[str, float]:
    """One bounded wrk run cycling through `paths`; its figures."""
    binary = shutil.which("wrk")
    if binary is None:
        raise LoadError("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    argv = [
        binary,
        *("-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
        *("--timeout", "10s", "-s", str(LUA)),
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv += [url, "--", listing.name]
    try:
        result = subprocess.run(  # noqa: S603
            argv, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    finally:
        Path(listing.name).unlink()
    if result.returncode != 0:
        raise LoadError(f"wrk failed ({result.returncode}): {result.stderr}")
    return parse(result.stdout)


def describe(figures: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.1f}" for k, v in figures.items())
