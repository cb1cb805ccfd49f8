"""The intake scenarios' pieces: bodies, the generated import file, the 2xx check."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest

from bench import intake
from bench.scenarios import Load
from kesu.accounts.models import Role
from kesu.api.models import ApiToken
from kesu.cases.models import Case
from kesu.intake.api import ComplaintIn
from kesu.intake.backends.api import ApiBackend
from tests.factories import UserFactory


def test_complaint_bodies_are_valid_chinese_api_bodies_over_the_stores():
    bodies = intake.complaint_bodies(["sh-xuhui", "bj-chaoyang"], 6)
    parsed = [json.loads(line) for line in bodies]
    assert all("\n" not in line for line in bodies)  # one body per Lua line
    assert [b["store"] for b in parsed[:3]] == ["sh-xuhui", "bj-chaoyang", "sh-xuhui"]
    for body in parsed:
        ComplaintIn.model_validate(body)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["description"])
    assert intake.complaint_bodies(["sh-xuhui"], 3) == intake.complaint_bodies(
        ["sh-xuhui"], 3
    )


def test_the_lua_script_sends_a_unique_key_and_lists_2xx_numbers():
    script = intake.LUA.read_text()
    assert 'headers["Idempotency-Key"] = key_prefix .. counter' in script
    assert 'key_prefix = args[2] .. "-" .. thread_id .. "-"' in script
    assert "numbers:write" in script


def test_the_import_file_has_the_rows_and_marks_every_bad_one(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    bad = intake.import_csv_write(path, 1500, ["sh-xuhui"], seed=7)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel's UTF-8 BOM
    with path.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source))
    assert len(rows) == 1500
    assert bad == 1500 // intake.BAD_ROW_EVERY
    empty = [r for r in rows if not r["评价内容"]]
    undated = [r for r in rows if r["评价时间"] == "上个月"]
    assert len(empty) + len(undated) == bad
    assert len({r["评价编号"] for r in rows}) == 1500


@pytest.fixture
def bench_user(db):
    return UserFactory(username=intake.BENCH_USER, role=Role.MANAGER)


def _create(store, user, key: str) -> str:
    receipt = ApiBackend().receive_body(
        {
            "store": store,
            "description": "冰箱不制冷。",
            "channel": "api",
            "customer_phone": "13800138000",
        },
        client=user,
        idempotency_key=key,
        attachments=[],
        source={},
    )
    return receipt.case.number


def test_created_check_matches_every_2xx_with_one_case(
    bench_user, agent, store, tmp_path: Path
):
    numbers = [_create(store, bench_user, f"run1-1-{n}") for n in range(3)]
    _create(store, bench_user, "other-1-1")  # another run's case is not counted
    (tmp_path / "thread-1.txt").write_text("\n".join(numbers[:2]) + "\n")
    check = intake.created_check("run1", tmp_path, connections=1)
    assert check["created"] == 3
    assert check["ok_2xx"] == 2
    assert check["unanswered_at_stop"] == 1  # abandoned by wrk when time was up
    assert check["matches"]


def test_created_check_fails_on_unknown_or_repeated_numbers(
    bench_user, agent, store, tmp_path: Path
):
    number = _create(store, bench_user, "run2-1-1")
    (tmp_path / "thread-1.txt").write_text(f"{number}\n{number}\nKS-0\n")
    check = intake.created_check("run2", tmp_path, connections=4)
    assert not check["matches"]
    assert len(check["problems"]) == 2


def test_created_check_fails_when_more_cases_than_connections_went_unanswered(
    bench_user, agent, store, tmp_path: Path
):
    for n in range(3):
        _create(store, bench_user, f"run3-1-{n}")
    check = intake.created_check("run3", tmp_path, connections=2)
    assert not check["matches"]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_short_wrk_run_creates_one_case_per_2xx(live_server, store, agent, tmp_path):
    UserFactory(username=intake.BENCH_USER, role=Role.MANAGER)
    bodies = tmp_path / "bodies.jsonl"
    bodies.write_text("\n".join(intake.complaint_bodies([store.code], 5)) + "\n")
    figures = intake._wrk_post(
        live_server.url,
        intake.intake_token(),
        bodies,
        seconds=3,  # the first request loads jieba's dictionary
        connections=2,
        threads=1,
    )
    _settle()
    assert figures["non_2xx"] == 0, figures
    assert figures["creates"] >= 1
    assert figures["created_matches_2xx"]
    # A request wrk abandoned at its stop may still commit after the check counted:
    # at most one per connection.
    assert figures["creates"] <= Case.objects.count() <= figures["creates"] + 2
    assert ApiToken.objects.filter(name="kesu bench intake").count() == 1


def _settle(quiet: float = 2.0, limit: float = 30.0) -> None:
    """Let the requests wrk abandoned at its stop finish (their case, then its triage)
    before the test ends: a live-server thread still working after teardown meets
    pytest-django's database block, which aborts the whole run."""
    deadline = time.monotonic() + limit
    seen, since = Case.objects.count(), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.2)
        now = Case.objects.count()
        if now != seen:
            seen, since = now, time.monotonic()


def test_the_intake_scenarios_are_registered():
    from bench import cli, scenarios

    assert {"intake_api", "import_rows"} <= set(scenarios.NAMES)
    args = cli.parser().parse_args(["intake_api", "--levels", "1,8", "--rows", "2k"])
    assert (args.levels, args.rows) == ("1,8", "2k")
    assert Load(seconds=1).repeat == 3
