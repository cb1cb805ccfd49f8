"""Rebuild the default triage model from KESU_DATA_DIR; print issue 5's figures.

    python -m bench.triage [--data-dir DIR] [--write-model PATH] [--json PATH]

1. Train the default model on the hand-labelled public texts (kesu/triage/handlabels;
   no gold row among them) and score category and emotion on the gold set's usable
   rows (zh, en, both); also the gold macro-F1 of the earlier rule-labelled model, and
   a learning curve (a quarter, half and all of the hand labels), for comparison.
2. Held-out comparisons, stratified 5-fold cross-validation: TipDM 7 classes
   (fj2_labelled_sample_495) and CFPB products (cfpb_narrative_product_3947, gold rows
   left out), Kesu's features + head against a plain TF-IDF + logistic regression
   (sklearn defaults; for Chinese, character 1–2-grams, as the default word pattern
   cannot split unsegmented Chinese).
3. Speed on one core: per-text latency p50/p99, texts/s in batches, training time on
   50,000 texts. Each is given as wall time and as this process's CPU time: on a shared
   machine the wall time includes waiting for the core, the CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from bench.triage import speed
from kesu.triage.ml import build, datasets
from kesu.triage.ml.evaluation import evaluate
from kesu.triage.ml.model import TextModel
from kesu.triage.ml.training import Example, train

FOLDS = 5
SEED = 0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.triage", description=__doc__)
    p.add_argument(
        "--data-dir", help="public data; default $KESU_DATA_DIR or /work/shared/data"
    )
    p.add_argument(
        "--write-model", type=Path, help="save the rebuilt default model here"
    )
    p.add_argument("--json", type=Path, help="write the figures as JSON here")
    p.add_argument("--skip-heldout", action="store_true")
    p.add_argument("--skip-speed", action="store_true")
    args = p.parse_args(argv)
    try:
        root = datasets.data_dir(args.data_dir)
    except datasets.DataMissingError as exc:
        print(exc, file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    gold, model = gold_figures(root, args.write_model)
    figures: dict[str, Any] = {"gold": gold}
    if not args.skip_heldout:
        figures["heldout"] = heldout_figures(root)
    if not args.skip_speed:
        figures["speed"] = speed_figures(root, model)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


def gold_figures(root: Path, write_to: Path | None) -> tuple[dict[str, Any], TextModel]:
    examples = build.default_examples(root)
    clocks = speed.Clocks()
    model = train(
        examples, meta={"version": build.DEFAULT_VERSION, "data": build.DEFAULT_DATA}
    )
    seconds, cpu_seconds = clocks.elapsed()
    data = model.to_bytes()
    print(
        f"default model: {len(examples)} hand-labelled texts, "
        f"trained in {seconds:.1f} s wall / {cpu_seconds:.1f} s CPU, "
        f"file {len(data) / 1e6:.2f} MB"
    )
    if write_to:
        write_to.write_bytes(data)
        print(f"written to {write_to}")
    model = TextModel.from_bytes(data)
    predictor = build.predictor_for(model)
    out: dict[str, Any] = {
        "examples": len(examples),
        "train_seconds": {"wall": round(seconds, 1), "cpu": round(cpu_seconds, 1)},
        "file_bytes": len(data),
    }
    for result in build.evaluate_gold(predictor, root):
        print(f"\n== gold {result.language} (usable rows): category")
        print(result.category.report())
        print(
            f"-- gold {result.language}: emotion "
            f"macro-F1 {result.emotion.macro_f1:.3f}, "
            f"accuracy {result.emotion.accuracy:.3f}"
        )
        out[result.language] = {
            "category": result.category.as_dict(),
            "emotion": result.emotion.as_dict(),
        }
    out["comparison"] = comparison_figures(root, examples)
    return out, model


def comparison_figures(root: Path, hand: list[Example]) -> dict[str, float]:
    """Gold macro-F1 (zh + en) of other training sets, to show what the labels buy."""
    shuffled = random.Random(SEED).sample(hand, len(hand))
    sets = {
        "rule_labelled": build.rule_examples(root),
        "hand_quarter": shuffled[: len(hand) // 4],
        "hand_half": shuffled[: len(hand) // 2],
    }
    out = {}
    print("\n== gold macro-F1 (zh + en) by training set")
    for name, examples in sets.items():
        predictor = build.predictor_for(train(examples))
        (both,) = [
            r for r in build.evaluate_gold(predictor, root) if r.language == "all"
        ]
        out[name] = round(both.category.macro_f1, 4)
        print(f"{name:<14} n={len(examples):<6} macro-F1 {out[name]:.3f}")
    return out


def baseline(chinese: bool) -> Any:
    vectorizer = (
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
        if chinese
        else TfidfVectorizer()
    )
    return make_pipeline(vectorizer, LogisticRegression(max_iter=1000))


def cross_validate(
    texts: list[str], labels: list[str], chinese: bool
) -> dict[str, float]:
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    ours, plain = [], []
    y = np.array(labels)
    for train_at, test_at in folds.split(texts, y):
        train_texts = [texts[i] for i in train_at]
        test_texts = [texts[i] for i in test_at]
        model, features = TextModel.fit_features(train_texts)
        model.fit_head("label", features, y[train_at].tolist())
        head = model.heads["label"]
        predicted = [
            head.classes[i] for i in model.proba("label", test_texts).argmax(axis=1)
        ]
        ours.append(evaluate(y[test_at].tolist(), predicted).macro_f1)
        base = baseline(chinese).fit(train_texts, y[train_at])
        plain.append(
            evaluate(y[test_at].tolist(), base.predict(test_texts).tolist()).macro_f1
        )
    return {
        "kesu": round(statistics.mean(ours), 4),
        "baseline": round(statistics.mean(plain), 4),
    }


def heldout_figures(root: Path) -> dict[str, Any]:
    tipdm = datasets.read(root, datasets.TIPDM_LABELLED)
    excluded = datasets.gold_keys()
    cfpb = [
        r
        for r in datasets.read(root, datasets.CFPB_NARRATIVES)
        if (r.source, r.row) not in excluded
    ]
    out = {
        "tipdm_7": cross_validate(
            [r.text for r in tipdm], [r.label for r in tipdm], True
        ),
        "cfpb_product": cross_validate(
            [r.text for r in cfpb], [r.label for r in cfpb], False
        ),
    }
    out["tipdm_7"]["n"] = len(tipdm)
    out["cfpb_product"]["n"] = len(cfpb)
    print(
        f"\n== held-out macro-F1, stratified {FOLDS}-fold (Kesu vs TF-IDF+LR baseline)"
    )
    for name, scores in out.items():
        print(
            f"{name:<14} n={scores['n']:<5} kesu {scores['kesu']:.3f}  "
            f"baseline {scores['baseline']:.3f}"
        )
    return out


def speed_figures(root: Path, model: TextModel) -> dict[str, Any]:
    figures = speed.measure(model, build.rule_examples(root))
    figures["load_average"] = os.getloadavg()[0]
    print(f"\n== speed, one core; load average {figures['load_average']:.1f}")
    for name, value in figures.items():
        print(f"{name:<22} {value:>10.2f}")
    return figures
