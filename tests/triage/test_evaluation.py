"""Evaluation figures: per class P/R/F1, macro-F1, accuracy, confusion (R-CL-3)."""

from __future__ import annotations

import pytest

from kesu.triage.ml.evaluation import evaluate


def test_evaluation_counts_per_class_and_confusion():
    result = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "b"])

    assert result.labels == ["a", "b"]
    assert result.precision == pytest.approx([1.0, 2 / 3])
    assert result.recall == pytest.approx([0.5, 1.0])
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert result.accuracy == 0.75
    assert result.confusion == [[1, 1], [0, 2]]


def test_a_class_only_predicted_counts_in_macro_f1():
    result = evaluate(["a", "a"], ["a", "c"])

    assert result.labels == ["a", "c"]
    assert result.f1[1] == 0.0
    assert result.support == [2, 0]


def test_report_names_every_figure():
    text = evaluate(["a", "b"], ["a", "a"]).report()

    assert "precision" in text
    assert "macro-F1" in text
    assert "accuracy" in text
    assert "confusion matrix" in text
