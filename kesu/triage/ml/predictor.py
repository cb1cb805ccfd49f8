"""The prediction API: ``Predictor.predict(text) -> Prediction``.

Category, subcategory and (when the model has an emotion head) emotion come from the
model; severity from the rules, which beat the model (a safety word makes a case major
whatever the model says); a predicted ``safety`` category also makes it major (R-CL-2).
A model trained without emotion labels leaves emotion to the rules. Routing fills
``department`` later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import jieba
import numpy as np

from kesu.triage.ml.model import Head, TextModel
from kesu.triage.ml.rules import EMOTION_ORDER, SEVERITY_ORDER, Rule, RuleSet
from kesu.triage.ml.text import detect_language

SUBCATEGORY_MIN_CONFIDENCE = 0.4
RULE_CONFIDENCE = 1.0  # a rule either matched or not: it is not a guess


@dataclass(frozen=True)
class Prediction:
    """What triage suggests for one text, each part with a confidence in [0, 1]."""

    category: str
    subcategory: str  # "" when not confident
    severity: str
    emotion: str
    language: str
    model_version: str
    confidences: dict[str, float]
    department: str | None = None  # filled by routing (issue 5, R-CL-4)
    reasons: list[str] = field(default_factory=list)  # matched rule words, for staff


class Predictor:
    """A loaded model plus the rules; safe to share between threads (read-only)."""

    def __init__(self, model: TextModel, rules: Sequence[Rule], version: str) -> None:
        self.model = model
        self.rules = RuleSet(rules)
        self.version = version
        # jieba reads its dictionary on first use: a second's wait for the first
        # Chinese complaint of every process unless it happens here, at load.
        jieba.initialize()
        # The heads' weights side by side: one text's feature rows are gathered once
        # for all heads, three times fewer cache misses than one gather per head.
        heads = [head for _, head in self._heads()]
        self._weights = np.hstack([head.weights for head in heads])
        self._intercepts = np.concatenate([head.intercept for head in heads])
        self._ends = np.cumsum([len(head.classes) for head in heads])

    def predict(self, text: str) -> Prediction:
        """Triage one text (the per-complaint path: no sparse matrices, see `row`)."""
        indices, values = self.model.row(text)
        # np.take copies the rows in a third of the time of fancy indexing.
        scores = values @ np.take(self._weights, indices, axis=0) + self._intercepts
        proba = {
            name: _softmax(part)[None, :]
            for (name, _), part in zip(
                self._heads(), np.split(scores, self._ends[:-1]), strict=True
            )
        }
        return self._predictions([text], proba)[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Triage many texts at once (one feature matrix, one product per head)."""
        features = self.model.features(texts)
        return self._predictions(
            texts, {name: head.proba(features) for name, head in self._heads()}
        )

    def _heads(self) -> list[tuple[str, Head]]:
        return [
            (name, head)
            for name in ("category", "subcategory", "emotion")
            if (head := self.model.heads.get(name)) is not None
        ]

    def _predictions(
        self, texts: Sequence[str], proba: dict[str, np.ndarray]
    ) -> list[Prediction]:
        categories = self.model.heads["category"]
        sub_head = self.model.heads.get("subcategory")
        emotion_head = self.model.heads.get("emotion")
        results = []
        for i, text in enumerate(texts):
            best = int(np.argmax(proba["category"][i]))
            category = categories.classes[best]
            subcategory, sub_confidence = "", 0.0
            if sub_head is not None:
                subcategory, sub_confidence = _subcategory(
                    category, sub_head.classes, proba["subcategory"][i]
                )
            confidences = dict(
                zip(categories.classes, proba["category"][i], strict=True)
            )
            emotion = None
            if emotion_head is not None:
                at = int(np.argmax(proba["emotion"][i]))
                emotion = (emotion_head.classes[at], float(proba["emotion"][i][at]))
            results.append(
                self._finish(
                    text, category, confidences, subcategory, sub_confidence, emotion
                )
            )
        return results

    def _finish(
        self,
        text: str,
        category: str,
        proba: dict[str, float],
        subcategory: str,
        sub_confidence: float,
        emotion_guess: tuple[str, float] | None,
    ) -> Prediction:
        language = detect_language(text)
        confidence = float(proba[category])
        severity, severity_hits = self.rules.highest(
            "severity", SEVERITY_ORDER, text, language
        )
        severity_confidence = RULE_CONFIDENCE
        if category == "safety" and severity != "major":
            severity, severity_confidence = "major", confidence
        elif severity is None:
            severity, severity_confidence = (
                "general",
                1.0 - float(proba.get("safety", 0.0)),
            )
        emotion_hits: list[str] = []
        if emotion_guess is not None:
            emotion, emotion_confidence = emotion_guess
        else:
            ruled, emotion_hits = self.rules.highest(
                "emotion", EMOTION_ORDER, text, language
            )
            emotion = ruled or "calm"
            emotion_confidence = RULE_CONFIDENCE if emotion_hits else 0.5
        return Prediction(
            category=category,
            subcategory=subcategory,
            severity=severity,
            emotion=emotion,
            language=language,
            model_version=self.version,
            confidences={
                "category": round(confidence, 4),
                "subcategory": round(sub_confidence, 4),
                "severity": round(severity_confidence, 4),
                "emotion": round(emotion_confidence, 4),
            },
            reasons=sorted(set(severity_hits + emotion_hits)),
        )


def _softmax(scores: np.ndarray) -> np.ndarray:
    exp = np.exp(scores.astype(np.float64) - scores.max())
    return np.asarray(exp / exp.sum())


def _subcategory(
    category: str, classes: list[str], proba: np.ndarray
) -> tuple[str, float]:
    prefix = f"{category}/"
    options = [
        (float(p), c)
        for c, p in zip(classes, proba, strict=True)
        if c.startswith(prefix)
    ]
    if not options:
        return "", 0.0
    total = sum(p for p, _ in options)
    p, best = max(options)
    confidence = p / total if total else 0.0  # within the predicted category
    if confidence < SUBCATEGORY_MIN_CONFIDENCE:
        return "", confidence
    return best[len(prefix) :], confidence
