"""The triage speed scenario's figures (bench/triage/speed.py) and their table."""

from __future__ import annotations

from bench import report, stats
from bench.triage import speed
from kesu.triage.ml.training import Example, train
from tests.triage.conftest import TINY


def examples() -> list[Example]:
    return [
        Example(text, label) for label, texts in TINY.items() for text in texts * 30
    ]


def test_measure_reports_latency_throughput_and_training_time():
    model = train(examples())

    figures = speed.measure(model, examples(), training=True)

    assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    assert 0 < figures["p50_cpu_ms"] <= figures["p99_cpu_ms"]
    assert figures["throughput"] > 0
    assert figures["batch_texts_per_cpu_s"] > 0
    assert figures["train_50k_s"] > 0


def test_figures_scenario_prints_every_figure():
    figures = {"p50_ms": 1.5, "p99_ms": 4.0, "throughput": 900.0}
    result = {
        "name": "triage",
        "description": "speed",
        "kind": "figures",
        "runs": [{"target": figures}],
        "summary": {"target": stats.summarize([figures])},
        "peak_rss_bytes": {"bench": 100 * 2**20},
    }

    lines = report.table(result).splitlines()

    assert any("p99_ms" in line and "4.000" in line for line in lines)
    assert any("throughput" in line and "900.000" in line for line in lines)
