"""New cases: classify (R-CL-3), learn from staff overrides, then link and route."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from kesu.cases.models import Case, CaseEvent, Category
from kesu.cases.services import event_append
from kesu.cases.services.work import case_classify_by_system
from kesu.core.tasks import enqueue_with_write
from kesu.triage import tasks
from kesu.triage.ml.predictor import Prediction
from kesu.triage.models import ExampleSource, LabelledExample
from kesu.triage.selectors import active_predictor
from kesu.triage.services.duplicates import case_signature_record
from kesu.triage.services.repeats import SEVERITY_STEPS, case_repeat_link
from kesu.triage.services.routing import case_route_apply

SUGGESTION_EVENTS = ("triage.suggested", "case.classified")


def on_case_event(event: CaseEvent) -> dict[str, object]:
    """Follow the timeline: triage new cases, learn from staff, route their choices.

    Runs inside the writing transaction, before the event is stored: new work is
    queued with the write (`enqueue_with_write`), so a rolled-back intake triggers
    nothing and a committed one cannot lose its triage.
    """
    case_id = event.case.pk
    if event.type == "case.received":
        enqueue_with_write(tasks.case_triage, case_id)
        return {}
    if event.type != "case.classified" or event.actor is None:
        return {}
    if event.case.department_id is None and event.case.category_id is not None:
        enqueue_with_write(tasks.case_route, case_id)
    example = _override_record(event)
    return {"triage_override": example.pk} if example else {}


@transaction.atomic
def case_triage(*, case_id: int) -> str:
    """Predict a new case's classification and apply what is confident enough.

    Model suggestions fill only what nobody set; severity rules and repeats only raise.
    Once staff have classified the case, triage changes nothing and only suggests.
    Returns "applied", "suggested" or "skipped" (already triaged, closed, gone).
    """
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.is_closed or _has_triage(case):
        return "skipped"
    prediction = active_predictor().predict(case.description)
    staff = _staff_classified(case)
    category, subcategory, severity = _to_apply(case, prediction, staff)
    record = _record(case, prediction, category, subcategory, severity)
    if record["applied"]:
        case = case_classify_by_system(
            case=case,
            category=category,
            subcategory=subcategory,
            severity=severity,
            impact_grade=case.impact_grade,
            data={"triage": record},
        )
    else:
        event_append(
            case=case, type="triage.suggested", actor=None, data={"triage": record}
        )
    case = case_repeat_link(case=case, may_raise=not staff)
    case_route_apply(case=case)
    case_signature_record(case=case)
    return "applied" if record["applied"] else "suggested"


def _has_triage(case: Case) -> bool:
    return case.events.filter(
        Q(type="triage.suggested") | Q(type="case.classified", actor=None)
    ).exists()


def _staff_classified(case: Case) -> bool:
    return case.events.filter(type="case.classified", actor__isnull=False).exists()


def _to_apply(
    case: Case, prediction: Prediction, staff: bool
) -> tuple[Category | None, Category | None, str]:
    category, subcategory, severity = case.category, case.subcategory, case.severity
    if staff:
        return category, subcategory, severity
    threshold = settings.KESU_TRIAGE_APPLY_CONFIDENCE
    if category is None and prediction.confidences["category"] >= threshold:
        category, subcategory = _categories(prediction)
    # Rules score 1.0, so a safety word raises the severity whatever the model says.
    if prediction.confidences["severity"] >= threshold:
        severity = _higher(severity, prediction.severity)
    return category, subcategory, severity


def _categories(prediction: Prediction) -> tuple[Category | None, Category | None]:
    category = Category.objects.filter(
        code=prediction.category, parent=None, is_active=True
    ).first()
    if category is None or not prediction.subcategory:
        return category, None
    sub = Category.objects.filter(
        code=prediction.subcategory, parent=category, is_active=True
    ).first()
    return category, sub


def _higher(severity: str, other: str) -> str:
    return max(severity, other, key=SEVERITY_STEPS.index)


def _record(
    case: Case,
    prediction: Prediction,
    category: Category | None,
    subcategory: Category | None,
    severity: str,
) -> dict[str, object]:
    applied = [
        name
        for name, changed in (
            ("category", category != case.category),
            ("subcategory", subcategory != case.subcategory),
            ("severity", severity != case.severity),
        )
        if changed
    ]
    return {
        "model_version": prediction.model_version,
        "suggestion": {
            "category": prediction.category,
            "subcategory": prediction.subcategory,
            "severity": prediction.severity,
            "emotion": prediction.emotion,
            "language": prediction.language,
        },
        "confidences": prediction.confidences,
        "reasons": prediction.reasons,
        "threshold": settings.KESU_TRIAGE_APPLY_CONFIDENCE,
        "applied": applied,
    }


def _override_record(event: CaseEvent) -> LabelledExample | None:
    """Staff classified the case otherwise than triage suggested: keep it to learn."""
    suggestion = _latest_suggestion(event.case)
    to = event.data.get("to") or {}
    if suggestion is None or to.get("category_id") is None:
        return None
    category_id, subcategory_id = to["category_id"], to.get("subcategory_id")
    codes = dict(
        Category.objects.filter(pk__in=[category_id, subcategory_id]).values_list(
            "pk", "code"
        )
    )
    category = codes.get(category_id, "")
    subcategory = codes.get(subcategory_id, "") if subcategory_id else ""
    predicted = (suggestion.get("category"), suggestion.get("subcategory") or "")
    if not category or (category, subcategory) == predicted:
        return None
    example, _ = LabelledExample.objects.update_or_create(
        case=event.case,
        source=ExampleSource.OVERRIDE,
        defaults={
            "text": event.case.description,
            "category": category,
            "subcategory": subcategory,
            "created_by": event.actor,
        },
    )
    return example


def _latest_suggestion(case: Case) -> dict[str, str] | None:
    events = case.events.filter(type__in=SUGGESTION_EVENTS, actor=None).order_by(
        "-created_at", "-pk"
    )
    for data in events.values_list("data", flat=True):
        triage = data.get("triage") if isinstance(data, dict) else None
        suggestion = triage.get("suggestion") if isinstance(triage, dict) else None
        if isinstance(suggestion, dict):
            return {str(key): str(value) for key, value in suggestion.items()}
    return None


@transaction.atomic
def case_route(*, case_id: int) -> bool:
    """Route a case staff classified, if it still has no department (R-CL-4)."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    return case is not None and case_route_apply(case=case)
