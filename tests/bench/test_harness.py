"""The harness itself: percentile maths, wrk output, the report's JSON shape."""

from __future__ import annotations

import argparse

import pytest
from django.db import connection

from bench import cli, report, stats, wrk
from bench.scenarios import Load

DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def test_percentile_interpolates_between_ranks():
    values = [10, 20, 30, 40]
    assert stats.percentile(values, 0) == 10
    assert stats.percentile(values, 50) == 25
    assert stats.percentile(values, 100) == 40
    assert stats.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)


def test_percentile_refuses_no_values_and_bad_ranks():
    with pytest.raises(ValueError, match="no values"):
        stats.percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        stats.percentile([1], 101)


def test_summarize_quotes_median_and_keeps_min_max():
    runs = [{"throughput": 10.0}, {"throughput": 30.0}, {"throughput": 12.0}]
    assert stats.summarize(runs) == {
        "throughput": {"median": 12.0, "min": 10.0, "max": 30.0}
    }
    assert stats.summarize([]) == {}


WRK_OUTPUT = """Running 2s test @ http://127.0.0.1:1
BENCH-JSON {"requests":2000,"duration_us":2000000,"errors_connect":0,"errors_read":1,\
"errors_write":0,"errors_status":2,"errors_timeout":0,"p50_us":1500,"p95_us":4000,\
"p99_us":9000,"min_us":300,"max_us":20000,"mean_us":1800.5}
"""


def test_wrk_parse_converts_to_milliseconds_and_requests_per_second():
    figures = wrk.parse(WRK_OUTPUT)
    assert figures["throughput"] == 1000
    assert figures["errors"] == 3
    assert figures["p50_ms"] == 1.5
    assert figures["p99_ms"] == 9
    assert figures["mean_ms"] == pytest.approx(1.8005)


def test_wrk_parse_refuses_output_without_figures():
    with pytest.raises(wrk.LoadError, match="no result"):
        wrk.parse("Running 2s test\n")


def _http_result() -> dict:
    run = {
        "target": wrk.parse(WRK_OUTPUT),
        "ceiling": {**wrk.parse(WRK_OUTPUT), "throughput": 4000.0},
        "ratio": 0.25,
    }
    return {
        "name": "list_page",
        "description": "Case list page",
        "kind": "http",
        "runs": [run],
        "summary": {
            "target": stats.summarize([run["target"]]),
            "ceiling": stats.summarize([run["ceiling"]]),
            "ratio": stats.summarize([{"ratio": 0.25}])["ratio"],
        },
        "peak_rss_bytes": {"gunicorn worker 1": 100 * 2**20},
    }


def test_table_shows_medians_ratio_errors_and_memory():
    text = report.table(_http_result())
    assert "list_page" in text
    assert "ratio to ceiling: 0.250" in text
    assert "ERRORS: 3" in text
    assert "gunicorn worker 1 100 MB" in text


def test_document_carries_environment_load_and_scenarios(db):
    args = argparse.Namespace(workers=2)
    doc = report.document([_http_result()], size=5, load=Load(), args=args)
    assert doc["database"] == {"vendor": connection.vendor, "cases": 5}
    assert doc["load"]["gunicorn_workers"] == 2
    assert set(doc["environment"]) >= {"date", "commit", "python", "django", "machine"}
    assert doc["environment"]["machine"]["cores"] >= 1
    assert doc["environment"]["database"].startswith(DATABASE_NAMES[connection.vendor])
    assert doc["scenarios"][0]["summary"]["ratio"]["median"] == 0.25


def test_cli_refuses_unknown_scenarios(capsys):
    assert cli.main(["no_such_scenario"]) == 2
    assert "no_such_scenario" in capsys.readouterr().err


def test_markdown_has_a_row_per_scenario_with_its_ratio(db):
    args = argparse.Namespace(workers=2)
    doc = report.document([_http_result()], size=5, load=Load(), args=args)
    text = report.markdown(doc)
    assert "| list_page | 1,000.0 (1,000.0–1,000.0) | 1.50 |" in text
    assert "| 0.2500 | 100 |" in text
    assert text.startswith(DATABASE_NAMES[connection.vendor])


def test_a_failed_scenario_is_reported_not_measured(db):
    from bench.scenarios import HTTP_SCENARIOS, failed

    result = failed(HTTP_SCENARIOS[0], wrk.LoadError("GET /cases/ answered 500"))
    assert "NOT MEASURED: GET /cases/ answered 500" in report.table(result)
    args = argparse.Namespace(workers=2)
    doc = report.document([result], size=5, load=Load(), args=args)
    assert "| list_page | not measured: GET /cases/ answered 500 |" in report.markdown(
        doc
    )
