"""Intake scenarios: API creates under load (`intake_api`), bulk import (`import_rows`).

`intake_api` drives `POST /api/v1/complaints` with wrk: realistic Chinese bodies, a
unique Idempotency-Key per request (run id, wrk thread, counter), at each concurrency
level, alternating with the same server's /healthz ceiling. After each run the cases
the run made are checked against the 2xx responses: every 2xx names exactly one new
case, and the only cases without a 2xx are the requests wrk abandoned at its stop.

`import_rows` writes a generated CSV of `rows` rows and imports it with
`kesu import FILE --preset …` in a separate process, as an operator would.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import stats, wrk
from bench.generate import DETAILS
from bench.scenarios import Load, insert_rate
from bench.server import Server
from kesu.accounts.models import Store, User
from kesu.api.auth import COMPLAINTS_CREATE
from kesu.api.models import ApiToken
from kesu.intake.models import ImportPreset, IntakeRecord

LUA = Path(__file__).with_name("wrk_intake.lua")
CONCURRENCY = (1, 8, 32)
BODIES = 200
WARM_UP_SECONDS = 3
BENCH_USER = "manager"
IMPORT_PRESET = "bench-import"
IMPORT_HEADERS = ["评价编号", "评价时间", "门店", "用户昵称", "评价内容", "诉求"]
# One generated row in this many is bad (empty text or an unreadable date): the run
# measures the error path as well, and the report must list them.
BAD_ROW_EVERY = 500

PRODUCTS = [
    "对开门冰箱",
    "滚筒洗衣机",
    "变频空调",
    "电热水器",
    "扫地机器人",
    "空气炸锅",
    "智能电视",
    "燃气灶",
    "净水器",
    "电饭煲",
]
PROBLEMS = [
    "买回来三天就不制冷了，压缩机一直响",
    "安装后第一次使用就漏水，地板都泡了",
    "送货比约定时间晚了两天，也没有人通知",
    "开机后屏幕闪烁，售后说要等配件",
    "外观有明显划痕，开箱时就发现了",
    "运行时噪音很大，晚上吵得睡不着",
    "遥控器失灵，换了电池也没有用",
    "加热很慢，半小时水还是凉的",
    "门店承诺的以旧换新补贴一直没有到账",
    "维修师傅上门收了费用却没有修好",
]
DEMANDS = ["换货", "退货退款", "上门维修", "赔偿损失", "书面道歉", "尽快回电"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def complaint_bodies(store_codes: list[str], count: int, seed: int = 1) -> list[str]:
    """`count` realistic JSON bodies, one line each, over the given stores."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    bodies = []
    for n in range(count):
        product = rng.choice(PRODUCTS)
        text = f"{product}{rng.choice(PROBLEMS)}。{rng.choice(DETAILS)}"
        body = {
            "store": store_codes[n % len(store_codes)],
            "description": text,
            "customer_name": rng.choice(SURNAMES) + rng.choice(["先生", "女士"]),
            "customer_phone": f"13{rng.randrange(10**9):09d}",
            "demand": rng.choice(DEMANDS),
            "product_model": f"{product} {rng.choice('ABK')}{rng.randrange(100, 999)}",
            "order_number": f"SO{rng.randrange(10**10):010d}",
            "client": "kesu-bench",
        }
        bodies.append(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    return bodies


def intake_token() -> str:
    """A fresh token of the bench user with only the intake scope."""
    user = User.objects.get(username=BENCH_USER)
    _token, raw = ApiToken.issue(
        user=user, name="kesu bench intake", scopes=[COMPLAINTS_CREATE]
    )
    return raw


def _key_prefix(run_id: str) -> str:
    # As kesu.intake.backends.api namespaces a client's key: backend, user, key.
    user = User.objects.get(username=BENCH_USER)
    return f"api:{user.pk}:{run_id}-"


def created_check(run_id: str, numbers_dir: Path, connections: int) -> dict[str, Any]:
    """Compare the cases the run made with the case numbers its 2xx responses named.

    Every 2xx must name a distinct case of this run. Cases without a 2xx can only be
    requests wrk abandoned when its time was up (at most one per connection).
    """
    answered: list[str] = []
    for listing in sorted(numbers_dir.glob("thread-*.txt")):
        answered += [line for line in listing.read_text().splitlines() if line]
    made = set(
        IntakeRecord.objects.filter(
            idempotency_key__startswith=_key_prefix(run_id)
        ).values_list("case__number", flat=True)
    )
    unknown = [number for number in answered if number not in made]
    duplicated = len(answered) - len(set(answered))
    unanswered = len(made - set(answered))
    return {
        "created": len(made),
        "ok_2xx": len(answered),
        "unanswered_at_stop": unanswered,
        "matches": not unknown and not duplicated and unanswered <= connections,
        "problems": [f"2xx named unknown case {n}" for n in unknown[:3]]
        + ([f"{duplicated} case numbers answered twice"] if duplicated else []),
    }


def _wrk_post(
    url: str, token: str, bodies: Path, *, seconds: int, connections: int, threads: int
) -> dict[str, Any]:
    binary = shutil.which("wrk")
    if binary is None:
        raise wrk.LoadError("wrk is not installed: apt-get install -y wrk")
    run_id = uuid.uuid4().hex[:12]
    with tempfile.TemporaryDirectory(prefix="kesu-intake-") as numbers:
        argv = [
            binary,
            *("-t", str(min(threads, connections)), "-c", str(connections)),
            *("-d", f"{seconds}s", "--timeout", "10s", "-s", str(LUA)),
            *("-H", f"Authorization: Bearer {token}"),
            *(url, "--", str(bodies), run_id, numbers),
        ]
        result = subprocess.run(  # noqa: S603
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=seconds + 60,
            check=False,
        )
        if result.returncode != 0:
            raise wrk.LoadError(f"wrk failed ({result.returncode}): {result.stderr}")
        figures = wrk.parse(result.stdout)
        raw = json.loads(result.stdout.split(wrk.MARKER, 1)[1].splitlines()[0])
        check = created_check(run_id, Path(numbers), connections)
    seconds = raw["duration_us"] / 1e6
    return {
        **figures,
        # What a client sees: cases answered with 2xx per second.
        "throughput": raw["ok_2xx"] / seconds if seconds else 0.0,
        "non_2xx": raw["non_2xx"],
        "creates": check["created"],
        "created_matches_2xx": check["matches"],
        "unanswered_at_stop": check["unanswered_at_stop"],
        "_sample": raw["sample"],
        "_problems": check["problems"],
    }


def run_intake_api(
    server: Server, load: Load, levels: tuple[int, ...] = CONCURRENCY
) -> list[dict[str, Any]]:
    """One result per concurrency level: creates/s against the /healthz ceiling."""
    stores = list(
        Store.objects.filter(is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    token = intake_token()
    with tempfile.NamedTemporaryFile(
        "w", suffix=".jsonl", encoding="utf-8", delete=False
    ) as listing:
        listing.write("\n".join(complaint_bodies(stores, BODIES)) + "\n")
    try:
        # Each worker loads jieba's dictionary and opens its connections on its first
        # requests: a production server is past that, so the runs start warm.
        _wrk_post(
            server.url,
            token,
            Path(listing.name),
            seconds=WARM_UP_SECONDS,
            connections=max(levels),
            threads=load.threads,
        )
        return [
            _level(server, load, token, Path(listing.name), level) for level in levels
        ]
    finally:
        Path(listing.name).unlink()


def _level(
    server: Server, load: Load, token: str, bodies: Path, connections: int
) -> dict[str, Any]:
    options = {
        "seconds": load.seconds,
        "connections": connections,
        "threads": min(load.threads, connections),
    }
    runs: list[dict[str, Any]] = []
    notes: list[str] = []
    for _n in range(load.repeat):
        ceiling = wrk.run(server.url, ["/healthz"], {}, **options)
        target = _wrk_post(server.url, token, bodies, **options)
        sample = target.pop("_sample")
        if sample:
            notes.append(f"{target['non_2xx']} non-2xx, e.g. {sample}")
        notes += target.pop("_problems")
        ratio = (
            target["throughput"] / ceiling["throughput"] if ceiling["throughput"] else 0
        )
        runs.append({"target": target, "ceiling": ceiling, "ratio": ratio})
    summary_runs = [
        {k: v for k, v in r["target"].items() if not isinstance(v, bool)} for r in runs
    ]
    return {
        "name": f"intake_api_c{connections}",
        "description": f"POST /api/v1/complaints, {connections} connections, unique "
        "Idempotency-Key each (req/s = cases created/s)",
        "kind": "http",
        "connections": connections,
        "created_matches_2xx": all(r["target"]["created_matches_2xx"] for r in runs),
        "notes": notes[:10],
        "runs": runs,
        "summary": {
            "target": stats.summarize(summary_runs),
            "ceiling": stats.summarize([r["ceiling"] for r in runs]),
            "ratio": stats.summarize([{"ratio": r["ratio"]} for r in runs])["ratio"],
        },
        "peak_rss_bytes": {
            **server.peak_rss(),
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        },
    }


def import_csv_write(path: Path, rows: int, store_codes: list[str], seed: int) -> int:
    """A platform export of `rows` reviews (UTF-8 with BOM); returns the bad rows."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    # Local times without a zone, as platform exports write them.
    start = dt.datetime(2026, 1, 1, 9, 0)  # noqa: DTZ001
    bad = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IMPORT_HEADERS)
        for n in range(1, rows + 1):
            when = start + dt.timedelta(minutes=n * 3 + rng.randrange(3))
            text = (
                rng.choice(PRODUCTS) + rng.choice(PROBLEMS) + "。" + rng.choice(DETAILS)
            )
            stamp = when.strftime("%Y年%m月%d日 %H:%M")
            if n % BAD_ROW_EVERY == 0:
                bad += 1
                if n % (2 * BAD_ROW_EVERY):
                    text = ""
                else:
                    stamp = "上个月"
            writer.writerow(
                [
                    f"R{seed}-{n:08d}",
                    stamp,
                    store_codes[n % len(store_codes)],
                    f"用户{rng.randrange(10**6):06d}",
                    text,
                    rng.choice(DEMANDS),
                ]
            )
    return bad


def import_preset() -> ImportPreset:
    """The bench's preset for its generated export (made on first use)."""
    preset, _created = ImportPreset.objects.get_or_create(
        name=IMPORT_PRESET,
        defaults={
            "platform": "benchshop",
            "label": "Bench generated reviews",
            "mapping": {
                "external_id": ["评价编号"],
                "received_at": ["评价时间"],
                "store": ["门店"],
                "customer_name": ["用户昵称"],
                "description": ["评价内容"],
                "demand": ["诉求"],
            },
        },
    )
    return preset


_SUMMARY = re.compile(
    r"job (?P<job>\d+): (?P<rows>\d+) rows in (?P<seconds>[\d.]+) s .*?"
    r"(?P<created>\d+) cases created, (?P<dupes>\d+) already imported, "
    r"(?P<bad>\d+) bad rows"
)


def import_once(rows: int, seed: int, workdir: Path) -> dict[str, float]:
    """Write a fresh file and import it with `kesu import` in its own process."""
    stores = list(
        Store.objects.filter(is_active=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    path = workdir / f"bench-import-{seed}.csv"
    bad = import_csv_write(path, rows, stores, seed)
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kesu.cli", "import", str(path)]
        + ["--preset", IMPORT_PRESET],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    wall = time.perf_counter() - started
    path.unlink()
    match = _SUMMARY.search(result.stdout)
    if result.returncode != 0 or match is None:
        raise RuntimeError(f"kesu import failed: {result.stdout}\n{result.stderr}")
    if int(match["bad"]) != bad or int(match["created"]) != rows - bad:
        raise RuntimeError(f"import counts are off (expected {bad} bad): {match[0]}")
    seconds = float(match["seconds"])
    return {
        "throughput": rows / seconds,
        "rows": rows,
        "created": int(match["created"]),
        "bad_rows": int(match["bad"]),
        "seconds": seconds,
        "process_seconds": wall,
    }


def run_import_rows(load: Load, rows: int) -> dict[str, Any]:
    """rows/s of a generated CSV through `kesu import`, against the insert ceiling."""
    import_preset()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kesu-import-") as workdir:
        for n in range(load.repeat):
            ceiling = insert_rate(min(load.seconds, 5))
            seed = int(time.time()) * 10 + n  # fresh ids: every run imports anew
            target = import_once(rows, seed, Path(workdir))
            runs.append(
                {
                    "target": target,
                    "ceiling": ceiling,
                    "ratio": target["throughput"] / ceiling["throughput"],
                }
            )
    return {
        "name": "import_rows",
        "description": f"`kesu import` of a generated {rows:,}-row CSV "
        "(req/s = rows/s; ratio = rows/s ÷ insert ceiling)",
        "kind": "write",
        "runs": runs,
        "summary": {
            "target": stats.summarize([r["target"] for r in runs]),
            "ceiling": stats.summarize([r["ceiling"] for r in runs]),
            "ratio": stats.summarize([{"ratio": r["ratio"]} for r in runs])["ratio"],
        },
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


def import_table(result: dict[str, Any]) -> str:
    """The import scenario's figures: median (min–max) of each, and its ratio."""
    lines = [f"\n{result['name']}: {result['description']}"]
    for label in ("target", "ceiling"):
        for name, f in result["summary"][label].items():
            lines.append(
                f"{label:8} {name:>16}: {f['median']:12,.2f}  "
                f"({f['min']:,.2f} – {f['max']:,.2f})"
            )
    r = result["summary"]["ratio"]
    lines.append(f"ratio to ceiling: {r['median']:.4f} ({r['min']:.3f}–{r['max']:.3f})")
    return "\n".join(lines)
