"""Training: labelled texts in, a `TextModel` with category and subcategory heads."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from kesu.triage.ml.model import TextModel

MIN_SUBCATEGORY_EXAMPLES = 20
MIN_EMOTION_EXAMPLES = 200  # below this the emotion rules do better than a head
EMOTION_ALPHA = 2e-5  # measured on the gold set: 0.636 macro-F1 vs 0.625 at 5e-6
CALIBRATION_MIN_EXAMPLES = 1000


@dataclass(frozen=True)
class Example:
    """A training text; ``subcategory`` and ``emotion`` may be empty."""

    text: str
    category: str
    subcategory: str = ""
    emotion: str = ""


class TrainingError(ValueError):
    """The examples cannot train a model (too few, one class only …)."""


def train(
    examples: Sequence[Example], meta: dict[str, object] | None = None
) -> TextModel:
    """Fit features, a category head and (when there are enough) a subcategory head."""
    categories = Counter(e.category for e in examples)
    if len(categories) < 2:
        raise TrainingError("training needs at least two different labels")
    started = time.perf_counter()
    texts = [e.text for e in examples]
    model, features = TextModel.fit_features(
        texts, min_df=2 if len(texts) >= 1000 else 1
    )
    labels = [e.category for e in examples]
    temperature = _temperature(model, features, labels)
    model.heads["category"] = model.fit_head("category", features, labels).scaled(
        temperature
    )
    subs = [
        (i, f"{e.category}/{e.subcategory}")
        for i, e in enumerate(examples)
        if e.subcategory
    ]
    common = {
        label
        for label, n in Counter(s for _, s in subs).items()
        if n >= MIN_SUBCATEGORY_EXAMPLES
    }
    kept = [(i, s) for i, s in subs if s in common]
    if len(common) >= 2:
        model.fit_head(
            "subcategory", features[[i for i, _ in kept]], [s for _, s in kept]
        )
    felt = [(i, e.emotion) for i, e in enumerate(examples) if e.emotion]
    if len(felt) >= MIN_EMOTION_EXAMPLES and len({e for _, e in felt}) >= 2:
        model.fit_head(
            "emotion",
            features[[i for i, _ in felt]],
            [e for _, e in felt],
            alpha=EMOTION_ALPHA,
        )
    model.meta = {
        **(meta or {}),
        "temperature": round(temperature, 3),
        "examples": len(examples),
        "classes": dict(sorted(categories.items())),
        "train_seconds": round(time.perf_counter() - started, 2),
    }
    return model


def _temperature(
    model: TextModel, features: sparse.csr_matrix, labels: list[str]
) -> float:
    """Calibrate confidences on a held-out tenth: SGD with little regularisation is
    overconfident, and "apply above a confidence" needs honest numbers."""
    if len(labels) < CALIBRATION_MIN_EXAMPLES:
        return 1.0
    order = np.random.default_rng(0).permutation(len(labels))
    cut = len(labels) // 10
    held, kept = np.sort(order[:cut]), np.sort(order[cut:])
    head = model.fit_head("category", features[kept], [labels[i] for i in kept])
    return head.fit_temperature(features[held], [labels[i] for i in held])
