"""Build the shipped default model from the public data; measure it on the gold set."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kesu.triage.ml import datasets, weak_labels
from kesu.triage.ml.evaluation import Evaluation, evaluate
from kesu.triage.ml.model import TextModel
from kesu.triage.ml.predictor import Predictor
from kesu.triage.ml.rules import default_rules
from kesu.triage.ml.training import Example, train

DEFAULT_VERSION = "default-2"
DEFAULT_DATA = "public texts labelled by hand (kesu/triage/handlabels)"


def default_examples(root: Path) -> list[Example]:
    """The hand-labelled public texts (usable rows; none of them is a gold row).

    Measured on the gold set, the rule-labelled texts add nothing once these exist
    (see README, Triage): the rules' mistakes cost what their volume brings.
    """
    rows = [r for r in datasets.hand_labels() if r.is_usable]
    texts = datasets.gold_texts(root, rows)
    return [
        Example(text, r.category, r.subcategory, r.emotion)
        for text, r in zip(texts, rows, strict=True)
    ]


def rule_examples(root: Path) -> list[Example]:
    """The rule-labelled public texts (gold rows excluded): the earlier default's data,
    and a large set for timing training."""
    return [
        Example(t.text, t.category, t.subcategory)
        for t in weak_labels.training_set(root)
    ]


def build_default(root: Path) -> TextModel:
    """Train the default model exactly as shipped."""
    return train(
        default_examples(root),
        meta={"version": DEFAULT_VERSION, "data": DEFAULT_DATA},
    )


@dataclass
class GoldResult:
    """Category and emotion evaluations on the usable gold rows of one language set."""

    language: str
    category: Evaluation
    emotion: Evaluation


def evaluate_gold(predictor: Predictor, root: Path) -> list[GoldResult]:
    """Evaluate on zh, en and both gold sets (usable rows only)."""
    results = []
    for name, languages in (("zh", ("zh",)), ("en", ("en",)), ("all", ("zh", "en"))):
        rows = [g for g in datasets.gold(languages) if g.is_usable]
        predictions = predictor.predict_many(datasets.gold_texts(root, rows))
        results.append(
            GoldResult(
                language=name,
                category=evaluate(
                    [g.category for g in rows], [p.category for p in predictions]
                ),
                emotion=evaluate(
                    [g.emotion for g in rows], [p.emotion for p in predictions]
                ),
            )
        )
    return results


def predictor_for(model: TextModel) -> Predictor:
    """A predictor over a freshly built model with the shipped rules."""
    return Predictor(model, default_rules(), str(model.meta.get("version", "")))
