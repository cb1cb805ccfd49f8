"""The import_web scenario: registered, and its figures compare like with like."""

from __future__ import annotations

from bench import import_web, report, scenarios


def wrk_figures(p50: float, p99: float) -> dict[str, float]:
    return {
        "requests": 100,
        "throughput": 10.0,
        "errors": 0,
        "p50_ms": p50,
        "p95_ms": p99 * 0.9,
        "p99_ms": p99,
        "min_ms": 1.0,
        "max_ms": p99 * 2,
        "mean_ms": p50,
    }


def test_the_scenario_is_registered():
    assert "import_web" in scenarios.NAMES


def test_the_ratio_is_p99_beside_the_import_over_p99_without():
    result = import_web._result(
        "list_page",
        wrk_figures(20.0, 80.0),
        wrk_figures(30.0, 120.0),
        overlapped=True,
        rows_s=150.0,
    )

    assert result["summary"]["ratio"]["median"] == 1.5
    assert result["summary"]["target"]["p99_ms"]["median"] == 120.0
    assert result["summary"]["ceiling"]["p50_ms"]["median"] == 20.0
    assert result["import_overlapped_load"] is True
    assert result["import_rows_per_s"] == 150.0
    assert "ratio to ceiling: 1.5000" in report.table(result)
