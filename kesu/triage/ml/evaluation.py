"""Classification metrics and their text report (per class, macro-F1, confusion)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
)


@dataclass
class Evaluation:
    """Per-class precision/recall/F1/support, macro-F1, accuracy, confusion matrix."""

    labels: list[str]
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    macro_f1: float
    accuracy: float
    confusion: list[list[int]]  # rows = true label, columns = predicted label

    @property
    def total(self) -> int:
        """How many texts were evaluated."""
        return sum(self.support)

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly form (stored with model versions, printed by the bench)."""
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "n": self.total,
            "per_class": {
                label: {
                    "precision": round(p, 4),
                    "recall": round(r, 4),
                    "f1": round(f, 4),
                    "support": s,
                }
                for label, p, r, f, s in zip(
                    self.labels,
                    self.precision,
                    self.recall,
                    self.f1,
                    self.support,
                    strict=True,
                )
            },
        }

    def report(self) -> str:
        """The evaluation as aligned text."""
        width = max(12, *(len(label) for label in self.labels))
        lines = [f"{'class':<{width}}  precision  recall     f1  support"]
        for label, p, r, f, s in zip(
            self.labels, self.precision, self.recall, self.f1, self.support, strict=True
        ):
            lines.append(f"{label:<{width}}  {p:9.3f}  {r:6.3f}  {f:5.3f}  {s:7d}")
        lines.append(f"{'macro-F1':<{width}}  {self.macro_f1:.3f}")
        lines.append(f"{'accuracy':<{width}}  {self.accuracy:.3f}  (n={self.total})")
        lines.append("")
        lines.append("confusion matrix (rows = true, columns = predicted):")
        short = [label[:7] for label in self.labels]
        lines.append(" " * width + "  " + " ".join(f"{s:>7}" for s in short))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}  " + " ".join(f"{n:7d}" for n in row))
        return "\n".join(lines)


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Compare predictions with the truth over every label either side uses."""
    labels = sorted(set(truth) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return Evaluation(
        labels=labels,
        precision=[float(x) for x in p],
        recall=[float(x) for x in r],
        f1=[float(x) for x in f],
        support=[int(x) for x in s],
        macro_f1=float(f.mean()) if len(labels) else 0.0,
        accuracy=float(accuracy_score(truth, predicted)) if len(truth) else 0.0,
        confusion=confusion_matrix(truth, predicted, labels=labels).tolist(),
    )
