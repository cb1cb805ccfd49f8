"""`page_cpu`: every page and API scenario timed in process, one request at a time."""

from __future__ import annotations

import pytest

from bench import generate as gen
from bench import page_cpu, report
from bench.scenarios import HTTP_SCENARIOS, NAMES, Context, HttpScenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx() -> Context:
    gen.generate(size=60, seed=3)
    return Context.prepare()


def test_every_page_gets_cpu_wall_and_query_figures(ctx, monkeypatch):
    monkeypatch.setattr(page_cpu, "REQUESTS", 4)
    monkeypatch.setattr(page_cpu, "WARM_UP", 1)

    results = page_cpu.run(ctx, repeat=2)

    assert [r["name"] for r in results] == [f"{s.name}_cpu" for s in HTTP_SCENARIOS]
    for result in results:
        figures = result["summary"]["target"]
        assert len(result["runs"]) == 2
        assert 0 < figures["p50_ms"]["median"] <= figures["p99_ms"]["median"]
        assert figures["throughput"]["median"] == pytest.approx(
            1000 / figures["p50_ms"]["median"], rel=0.5
        )
        assert figures["wall_p50_ms"]["median"] > 0
        assert figures["queries"]["median"] >= 2  # the session or token, then data
        assert "p99_ms" in report.table(result)
    assert "page_cpu" in NAMES


def test_a_page_that_does_not_answer_200_is_refused(ctx):
    broken = HttpScenario("broken", "no such case", "session", lambda c: ["/cases/X/"])

    with pytest.raises(page_cpu.PageError, match="/cases/X/ answered 404"):
        page_cpu.run_one(broken, ctx, repeat=1)
