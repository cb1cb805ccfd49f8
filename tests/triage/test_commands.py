"""`kesu triage train|evaluate|models|activate` (R-CL-3)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from kesu.triage.models import LabelledExample, ModelVersion, TriageRule
from kesu.triage.selectors import active_predictor, predictor_reset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_predictor():
    predictor_reset()
    yield
    predictor_reset()


def triage(*args: str) -> str:
    out = io.StringIO()
    call_command("triage", *args, stdout=out)
    return out.getvalue()


def test_migration_seeds_safety_and_threat_rules():
    rules = TriageRule.objects.filter(is_active=True)

    assert rules.filter(kind="severity", value="major", pattern="起火").exists()
    assert rules.filter(kind="severity", value="urgent", pattern="12315").exists()
    assert rules.filter(
        kind="severity", value="major", language="en", pattern="fire"
    ).exists()


def test_train_from_file_stores_and_activates_a_version(labelled_csv):
    output = triage("train", "--file", str(labelled_csv), "--activate")

    stored = ModelVersion.objects.get()
    assert stored.is_active
    assert stored.examples == 16
    assert f"model {stored.version}: 16 examples" in output
    assert active_predictor().version == stored.version


def test_evaluate_file_prints_per_class_figures_and_confusion(labelled_csv):
    triage("train", "--file", str(labelled_csv), "--activate")

    output = triage("evaluate", str(labelled_csv))

    assert "precision  recall     f1  support" in output
    assert "macro-F1          1.000" in output
    assert "accuracy          1.000  (n=16)" in output
    assert "confusion matrix" in output


def test_train_from_xlsx(tmp_path, labelled_csv):
    book = Workbook()
    for line in labelled_csv.read_text(encoding="utf-8").splitlines():
        book.active.append(line.split(","))
    path = tmp_path / "labelled.xlsx"
    book.save(path)

    triage("train", "--file", str(path))

    assert ModelVersion.objects.get().examples == 16
    assert not ModelVersion.objects.get().is_active


def test_train_from_db_uses_labelled_examples(tiny_examples):
    LabelledExample.objects.bulk_create(
        LabelledExample(text=e.text, category=e.category) for e in tiny_examples
    )

    triage("train", "--from-db")

    assert ModelVersion.objects.get().trained_from == "database"


def test_activate_rolls_back_to_an_earlier_version(labelled_csv):
    triage("train", "--file", str(labelled_csv), "--activate")
    triage("train", "--file", str(labelled_csv), "--activate")
    first, second = ModelVersion.objects.order_by("pk")
    assert active_predictor().version == second.version

    output = triage("activate", first.version)

    assert output.strip() == f"active model: {first.version}"
    assert list(ModelVersion.objects.filter(is_active=True)) == [first]
    assert active_predictor().version == first.version
    assert f"* {first.version}" in triage("models")


def test_activate_default_goes_back_to_the_shipped_model(labelled_csv):
    triage("train", "--file", str(labelled_csv), "--activate")

    triage("activate", "default")

    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert "* default  (shipped)" in triage("models")
    assert active_predictor().version.startswith("default")


def test_activate_unknown_version_is_an_error():
    with pytest.raises(CommandError, match="no model version 'nope'"):
        triage("activate", "nope")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", "body,category\n起火,safety\n", "missing column"),
        ("x.csv", "", "the file is empty"),
        ("x.csv", "text,label\n起火,\n", "row 2 has no text or no label"),
        ("x.txt", "text,label\n", "expected a .csv or .xlsx file"),
        ("x.xlsx", "not really a workbook", "not a readable XLSX file"),
        ("x.csv", "text,label\n起火,safty\n冒烟,safety\n", "unknown category label"),
    ],
)
def test_bad_file_gets_a_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(CommandError, match=message):
        triage("train", "--file", str(path))
    assert not ModelVersion.objects.exists()


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        triage("evaluate", str(tmp_path / "absent.csv"))


def test_gold_evaluation_says_where_the_data_is_missing(tmp_path):
    with pytest.raises(CommandError, match="KESU_DATA_DIR"):
        triage("evaluate", "--gold", "--data-dir", str(tmp_path))


def test_shipped_model_loads_and_classifies():
    prediction = active_predictor().predict("收到的手机电池鼓包，充电时冒烟了")

    assert prediction.model_version.startswith("default")
    assert prediction.severity == "major"
    assert prediction.language == "zh"
