"""Triage speed on one core: per-text latency, batch throughput, training time.

Shared by ``python -m bench.triage`` (figures for the model it rebuilds) and the
``triage`` scenario of ``kesu bench`` (the shipped model, repeated runs). Each figure is
given as wall time and as this process's CPU time: on a shared machine the wall time
includes waiting for the core, the CPU time does not.
"""

from __future__ import annotations

import os
import random
import resource
import time
from pathlib import Path
from typing import Any

from bench import stats
from kesu.triage.ml import build, datasets
from kesu.triage.ml.model import TextModel
from kesu.triage.ml.training import Example, train

SEED = 0
SAMPLE = 2_000
BATCH = 500
TRAIN_SIZE = 50_000


class Clocks:
    """Wall and CPU time since creation, in seconds."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def measure(
    model: TextModel, examples: list[Example], seed: int = SEED, training: bool = True
) -> dict[str, float]:
    """One run over a sample of the examples' texts (and a 50,000-text training)."""
    predictor = build.predictor_for(model)
    sample = [
        e.text for e in random.Random(seed).sample(examples, min(SAMPLE, len(examples)))
    ]
    for text in sample[:50]:
        predictor.predict(text)  # warm caches (regexes, rule tables)
    wall, cpu = [], []
    for text in sample:
        clocks = Clocks()
        predictor.predict(text)
        w, c = clocks.elapsed()
        wall.append(w * 1000)
        cpu.append(c * 1000)
    clocks = Clocks()
    for at in range(0, len(sample), BATCH):
        predictor.predict_many(sample[at : at + BATCH])
    batch_wall, batch_cpu = clocks.elapsed()
    figures = {
        "p50_ms": stats.percentile(wall, 50),
        "p99_ms": stats.percentile(wall, 99),
        "p50_cpu_ms": stats.percentile(cpu, 50),
        "p99_cpu_ms": stats.percentile(cpu, 99),
        "throughput": len(sample) / batch_wall,  # texts/s in batches
        "batch_texts_per_cpu_s": len(sample) / batch_cpu,
    }
    if training:
        fifty_k = [examples[i % len(examples)] for i in range(TRAIN_SIZE)]
        clocks = Clocks()
        train(fifty_k)
        figures["train_50k_s"], figures["train_50k_cpu_s"] = clocks.elapsed()
    return figures


def run(repeat: int, data_dir: Path | None = None) -> dict[str, Any]:
    """The ``triage`` scenario: the shipped model on the rule-labelled public texts.

    Latency and batch figures are repeated; the 50,000-text training runs once (it
    takes about a minute and varies less than the load does).
    """
    # Here, not at the top: the selectors need Django's settings, which `kesu bench` has
    # set up and `python -m bench.triage` (this module's other user) does not.
    from kesu.triage.selectors import DEFAULT_MODEL

    root = datasets.data_dir(data_dir)
    examples = build.rule_examples(root)  # the largest labelled set: 50,000 for timing
    model = TextModel.load(DEFAULT_MODEL)
    runs = [
        {"target": measure(model, examples, seed, training=seed == 0)}
        for seed in range(max(repeat, 1))
    ]
    once = {k: runs[0]["target"].pop(k) for k in ("train_50k_s", "train_50k_cpu_s")}
    summary = stats.summarize([r["target"] for r in runs])
    summary.update({k: {"median": v, "min": v, "max": v} for k, v in once.items()})
    return {
        "name": "triage",
        "description": (
            f"the shipped model classifying {SAMPLE:,} public texts one by one and "
            f"in batches of {BATCH} (throughput: texts/s), wall and CPU time; "
            f"training on {TRAIN_SIZE:,} rule-labelled texts; "
            f"load {os.getloadavg()[0]:.1f}"
        ),
        "kind": "figures",
        "runs": runs,
        "summary": {"target": summary},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }
