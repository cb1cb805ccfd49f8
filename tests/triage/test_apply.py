"""Triage applied to new cases (R-CL-2, R-CL-3) and staff overrides kept as examples."""

from __future__ import annotations

import pytest

from kesu.cases.models import Case, CaseEvent, Channel, Severity
from kesu.cases.services import CaseInput, case_classify, case_receive
from kesu.triage.ml.predictor import Prediction
from kesu.triage.models import ExampleSource, LabelledExample
from kesu.triage.services import case_triage, on_case_event
from tests.factories import make_case, top_category


def prediction(**overrides: object) -> Prediction:
    values: dict[str, object] = {
        "category": "logistics",
        "subcategory": "delivery_delay",
        "severity": "general",
        "emotion": "unhappy",
        "language": "zh",
        "model_version": "test-1",
        "confidences": {
            "category": 0.97,
            "subcategory": 0.9,
            "severity": 0.95,
            "emotion": 0.5,
        },
        "reasons": [],
    }
    values.update(overrides)
    return Prediction(**values)  # type: ignore[arg-type]


class FakePredictor:
    def __init__(self) -> None:
        self.next = prediction()

    def predict(self, text: str) -> Prediction:
        return self.next


@pytest.fixture
def predictor(monkeypatch) -> FakePredictor:
    fake = FakePredictor()
    monkeypatch.setattr("kesu.triage.services.cases.active_predictor", lambda: fake)
    return fake


def received(agent, store, capture, **overrides) -> Case:
    with capture(execute=True):
        case = make_case(by=agent, store=store, **overrides)
    case.refresh_from_db()
    return case


def test_confident_prediction_is_applied_with_model_version_and_confidences(
    agent, store, predictor, django_capture_on_commit_callbacks
):
    """R-CL-3: above the threshold the suggestion is applied, an event says so."""
    case = received(agent, store, django_capture_on_commit_callbacks)

    assert case.category.code == "logistics"
    assert case.subcategory.code == "delivery_delay"
    event = case.events.get(type="case.classified")
    assert event.actor is None
    assert event.data["triage"]["model_version"] == "test-1"
    assert event.data["triage"]["confidences"]["category"] == 0.97
    assert event.data["triage"]["applied"] == ["category", "subcategory"]
    assert not case.events.filter(type="triage.suggested").exists()


def test_weak_prediction_is_only_suggested(
    agent, store, predictor, settings, django_capture_on_commit_callbacks
):
    """R-CL-3: below the threshold nothing changes; the suggestion is recorded."""
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.99

    case = received(agent, store, django_capture_on_commit_callbacks)

    assert case.category is None
    assert not case.events.filter(type="case.classified").exists()
    suggested = case.events.get(type="triage.suggested")
    assert suggested.data["triage"]["suggestion"]["category"] == "logistics"
    assert suggested.data["triage"]["applied"] == []


def test_safety_rule_makes_case_major_even_below_the_threshold(
    agent, store, predictor, django_capture_on_commit_callbacks
):
    """R-CL-2: a safety word beats the model, whatever its confidence."""
    predictor.next = prediction(
        severity="major",
        confidences={"category": 0.4, "subcategory": 0.0, "severity": 1.0},
        reasons=["冒烟"],
    )

    case = received(agent, store, django_capture_on_commit_callbacks)

    assert case.severity == Severity.MAJOR
    assert case.category is None
    event = case.events.get(type="case.classified")
    assert event.data["triage"]["applied"] == ["severity"]
    assert event.data["triage"]["reasons"] == ["冒烟"]


def test_triage_never_lowers_severity(agent, store, predictor):
    case = make_case(by=agent, store=store, severity=Severity.URGENT)

    case_triage(case_id=case.pk)

    case.refresh_from_db()
    assert case.severity == Severity.URGENT


def test_category_chosen_at_intake_is_kept(agent, store, predictor):
    case = make_case(by=agent, store=store, category=top_category("after_sales"))

    assert case_triage(case_id=case.pk) == "suggested"

    case.refresh_from_db()
    assert case.category.code == "after_sales"
    assert case.subcategory is None


def test_staff_classification_is_never_overwritten(agent, store, handler, predictor):
    """Staff have the last word: triage only suggests once they classified."""
    case = make_case(by=agent, store=store)
    case_classify(
        case=case,
        by=handler,
        category=top_category("product_quality"),
        subcategory=None,
        severity=Severity.GENERAL,
        impact_grade=case.impact_grade,
    )
    predictor.next = prediction(severity="major", reasons=["起火"])

    assert case_triage(case_id=case.pk) == "suggested"

    case.refresh_from_db()
    assert (case.category.code, case.severity) == ("product_quality", "general")


def test_triage_runs_once_per_case(agent, store, predictor):
    case = make_case(by=agent, store=store)

    first = case_triage(case_id=case.pk)
    second = case_triage(case_id=case.pk)

    assert (first, second) == ("applied", "skipped")
    assert case.events.filter(type="case.classified").count() == 1


def test_missing_case_is_skipped(db, predictor):
    assert case_triage(case_id=987654) == "skipped"


def test_unknown_predicted_category_changes_nothing(agent, store, predictor):
    predictor.next = prediction(category="no_such_code", subcategory="")
    case = make_case(by=agent, store=store)

    assert case_triage(case_id=case.pk) == "suggested"

    case.refresh_from_db()
    assert case.category is None


def test_complaint_without_staff_is_triaged_too(
    store, agent, predictor, django_capture_on_commit_callbacks
):
    """Any channel: a web complaint, filed by the customer (no actor)."""
    data = CaseInput(
        channel=Channel.WEB,
        store=store,
        description="快递三天还没到",
        customer_name="李四",
        customer_phone="13900001111",
    )

    with django_capture_on_commit_callbacks(execute=True):
        case = case_receive(data=data, owner=agent)

    case.refresh_from_db()
    assert case.category.code == "logistics"


def test_received_handler_only_schedules(
    agent, store, django_capture_on_commit_callbacks
):
    """The handler writes nothing itself: the task runs after the commit."""
    case = make_case(by=agent, store=store)
    event = CaseEvent(case=case, type="case.received", data={})

    with django_capture_on_commit_callbacks() as callbacks:
        effects = on_case_event(event)

    assert effects == {}
    assert len(callbacks) == 1
    assert not case.events.filter(type__in=["triage.suggested", "case.classified"])


def test_shipped_model_applies_and_safety_word_makes_major(
    agent, store, django_capture_on_commit_callbacks
):
    """The real default model and rules, end to end."""
    case = received(
        agent,
        store,
        django_capture_on_commit_callbacks,
        description="手机充电的时候冒烟了，电池鼓包，吓死人了，质量太差",
    )

    assert case.severity == Severity.MAJOR
    assert case.category.code == "product_quality"
    assert "冒烟" in case.events.get(type="case.classified").data["triage"]["reasons"]


# --- Staff overrides become labelled examples ---------------------------------------


def classify(case: Case, by, code: str, sub: str | None = None) -> Case:
    category = top_category(code)
    subcategory = category.children.get(code=sub) if sub else None
    return case_classify(
        case=case,
        by=by,
        category=category,
        subcategory=subcategory,
        severity=case.severity,
        impact_grade=case.impact_grade,
    )


def test_staff_override_is_kept_as_labelled_example(agent, store, handler, predictor):
    """R-CL-3: a correction by staff is training data for the next model."""
    case = make_case(by=agent, store=store, description="退款一直不到账")
    case_triage(case_id=case.pk)

    classify(Case.objects.get(pk=case.pk), handler, "price_charges", "refund_delay")

    example = LabelledExample.objects.get(case=case)
    assert example.source == ExampleSource.OVERRIDE
    assert (example.category, example.subcategory) == ("price_charges", "refund_delay")
    assert example.text == "退款一直不到账"
    assert example.created_by == handler
    event = case.events.filter(type="case.classified", actor=handler).get()
    assert event.data["triage_override"] == example.pk


def test_override_of_a_mere_suggestion_is_kept_too(
    agent, store, handler, predictor, settings
):
    settings.KESU_TRIAGE_APPLY_CONFIDENCE = 0.99
    case = make_case(by=agent, store=store)
    case_triage(case_id=case.pk)

    classify(case, handler, "service_attitude")

    assert LabelledExample.objects.get(case=case).category == "service_attitude"


def test_staff_agreeing_with_triage_is_no_example(agent, store, handler, predictor):
    case = make_case(by=agent, store=store)
    case_triage(case_id=case.pk)
    case.refresh_from_db()

    case_classify(
        case=case,
        by=handler,
        category=case.category,
        subcategory=case.subcategory,
        severity=Severity.URGENT,
        impact_grade=case.impact_grade,
    )

    assert not LabelledExample.objects.exists()


def test_second_override_replaces_the_first(agent, store, handler, predictor):
    case = make_case(by=agent, store=store)
    case_triage(case_id=case.pk)

    classify(case, handler, "service_attitude")
    classify(case, handler, "after_sales")

    assert list(LabelledExample.objects.values_list("category", flat=True)) == [
        "after_sales"
    ]


def test_classification_of_untriaged_case_is_no_example(agent, store, handler):
    case = make_case(by=agent, store=store)

    classify(case, handler, "service_attitude")

    assert not LabelledExample.objects.exists()
