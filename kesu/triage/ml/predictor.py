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

import numpy as np

from kesu.triage.ml.model import TextModel
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

    def predict(self, text: str) -> Prediction:
        """Triage one text."""
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """Triage many texts at once (one feature matrix, one product per head)."""
        features = self.model.features(texts)
        categories = self.model.heads["category"]
        category_proba = categories.proba(features)
        sub_head = self.model.heads.get("subcategory")
        sub_proba = sub_head.proba(features) if sub_head else None
        emotion_head = self.model.heads.get("emotion")
        emotion_proba = emotion_head.proba(features) if emotion_head else None
        results = []
        for i, text in enumerate(texts):
            best = int(np.argmax(category_proba[i]))
            category = categories.classes[best]
            subcategory, sub_confidence = "", 0.0
            if sub_head is not None and sub_proba is not None:
                subcategory, sub_confidence = _subcategory(
                    category, sub_head.classes, sub_proba[i]
                )
            confidences = dict(zip(categories.classes, category_proba[i], strict=True))
            emotion = None
            if emotion_head is not None and emotion_proba is not None:
                at = int(np.argmax(emotion_proba[i]))
                emotion = (emotion_head.classes[at], float(emotion_proba[i][at]))
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
