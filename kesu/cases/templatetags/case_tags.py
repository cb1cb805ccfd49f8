"""Labels and readable summaries of timeline events for the case page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import template
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from kesu.cases.models import (
    CaseEvent,
    Channel,
    CollaborationStatus,
    FeedbackResult,
    ResolutionType,
    Severity,
    VerificationResult,
)
from kesu.cases.workflow import Action, Status
from kesu.sla.models import DurationUnit, TargetKind

register = template.Library()

Names = dict[str, dict[int, str]]

EVENT_LABELS = {
    "case.received": _("Complaint received"),
    "case.transitioned": _("Status changed"),
    "case.verified": _("Verification recorded"),
    "case.assigned": _("Assigned"),
    "case.handed_over": _("Ownership handed over"),
    "case.classified": _("Classified"),
    "triage.suggested": _("Classification suggested"),
    "case.repeat_linked": _("Repeat complaint linked"),
    "pii.unmasked": _("Personal data revealed"),
    "plan.proposed": _("Handling plan proposed"),
    "plan.approved": _("Compensation approved"),
    "plan.refused": _("Compensation refused"),
    "feedback.recorded": _("Feedback recorded"),
    "collaboration.requested": _("Collaboration requested"),
    "collaboration.answered": _("Collaboration answered"),
    "note.added": _("Internal note"),
    "reply.sent": _("Reply to customer"),
    "communication.logged": _("Communication logged"),
    "acknowledgement.sent": _("Acknowledgement e-mailed"),
    "sla.warned": _("Deadline approaching"),
    "sla.breached": _("Deadline missed"),
    "sla.escalated": _("Missed deadline escalated"),
}
CLOCK_CHANGES = {
    "started": _("started"),
    "met": _("met"),
    "paused": _("paused"),
    "resumed": _("resumed"),
    "recomputed": _("recomputed"),
    "stopped": _("stopped"),
}
PII_LABELS = {
    "name": _("name"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "address": _("address"),
}
KIND_LABELS = {
    "call": _("Call"),
    "sms": _("SMS"),
    "email": _("E-mail"),
    "visit": _("Visit"),
}


@register.filter
def unit_label(unit: str) -> str:
    """The readable name of a deadline's unit of time."""
    return _label(DurationUnit, unit)


@register.filter
def event_label(event_type: str) -> str:
    """The localized name of an event type; unknown types show their code."""
    return str(EVENT_LABELS.get(event_type, event_type))


def _label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


def _name(names: Names, kind: str, pk: Any) -> str:
    return names.get(kind, {}).get(pk, "—") if pk else "—"


def _pair(label: object, value: object) -> str:
    # Translated as a whole: Chinese puts a full-width colon between the two.
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _transitioned(data: dict[str, Any], names: Names) -> str:
    move = f"{_label(Status, data.get('from'))} → {_label(Status, data.get('to'))}"
    return _pair(_label(Action, data.get("action")), move)


def _assigned(data: dict[str, Any], names: Names) -> str:
    to = data.get("to") or {}
    department = _pair(
        _("Department"), _name(names, "departments", to.get("department"))
    )
    handler = _pair(_("Handler"), _name(names, "users", to.get("assignee")))
    return f"{department} · {handler}"


def _handed_over(data: dict[str, Any], names: Names) -> str:
    return "{} → {}".format(
        _name(names, "users", data.get("from")), _name(names, "users", data.get("to"))
    )


def _classified(data: dict[str, Any], names: Names) -> str:
    to = data.get("to") or {}
    category = _name(names, "categories", to.get("category_id"))
    subcategory = _name(names, "categories", to.get("subcategory_id"))
    severity = _label(Severity, to.get("severity"))
    return f"{category} / {subcategory} · {severity} · {to.get('impact_grade', '')}"


def _suggested(data: dict[str, Any], names: Names) -> str:
    confidence = (data.get("triage") or {}).get("confidences", {}).get("category")
    if confidence is None:
        return ""
    return _("category confidence %(percent)s%%") % {"percent": round(confidence * 100)}


def _repeat(data: dict[str, Any], names: Names) -> str:
    match = _("same product") if data.get("match") == "product" else _("same category")
    return "{} {} · {}".format(_("Repeat of"), data.get("earlier_number", ""), match)


def _unmasked(data: dict[str, Any], names: Names) -> str:
    # The event names the fields only; their values never reach the timeline.
    fields = ", ".join(str(PII_LABELS.get(f, f)) for f in data.get("fields", []))
    return _pair(_("Fields"), fields)


def _proposed(data: dict[str, Any], names: Names) -> str:
    summary = "{} · {} {}".format(
        _label(ResolutionType, data.get("resolution_type")),
        _("amount"),
        data.get("compensation_amount", "0"),
    )
    if data.get("needs_approval"):
        summary += " · {}".format(_("needs approval"))
    return summary


def _amount(data: dict[str, Any], names: Names) -> str:
    return "{} {}".format(_("amount"), data.get("compensation_amount", "0"))


def _communication(data: dict[str, Any], names: Names) -> str:
    direction = _("inbound") if data.get("direction") == "inbound" else _("outbound")
    return "{} · {}".format(KIND_LABELS.get(data.get("kind", ""), ""), direction)


def _checkpoint(code: str) -> str:
    stage, _sep, detail = code.partition(":")
    if stage == "warning":
        return _("%(percent)s%% of the time used") % {"percent": detail}
    if stage == "escalation":
        return _("escalation level %(level)s") % {"level": detail}
    return str(_("due time passed"))


def _deadline_checkpoint(data: dict[str, Any], names: Names) -> str:
    passed = ", ".join(_checkpoint(code) for code in data.get("checkpoints", []))
    return f"{_label(TargetKind, data.get('kind'))} · {passed}"


SUMMARIES: dict[str, Callable[[dict[str, Any], Names], str]] = {
    "case.received": lambda d, n: _label(Channel, d.get("channel")),
    "case.transitioned": _transitioned,
    "case.verified": lambda d, n: _label(VerificationResult, d.get("result")),
    "feedback.recorded": lambda d, n: _label(FeedbackResult, d.get("result")),
    "case.assigned": _assigned,
    "case.handed_over": _handed_over,
    "case.classified": _classified,
    "triage.suggested": _suggested,
    "case.repeat_linked": _repeat,
    "pii.unmasked": _unmasked,
    "plan.proposed": _proposed,
    "plan.approved": _amount,
    "plan.refused": _amount,
    "collaboration.requested": lambda d, n: _name(
        n, "departments", d.get("department")
    ),
    "collaboration.answered": lambda d, n: _label(CollaborationStatus, d.get("status")),
    "communication.logged": _communication,
    "sla.warned": _deadline_checkpoint,
    "sla.breached": _deadline_checkpoint,
    "sla.escalated": _deadline_checkpoint,
}


@register.simple_tag
def event_summary(event: CaseEvent, names: Names) -> str:
    """One readable line from the event's data (ids resolved through `names`)."""
    summarize = SUMMARIES.get(event.type)
    return summarize(event.data or {}, names) if summarize else ""


@register.simple_tag
def deadline_changes(event: CaseEvent) -> list[dict[str, Any]]:
    """What the event did to the case's deadline clocks, readable, with due times."""
    return [
        {
            "label": _label(TargetKind, change.get("kind")),
            "change": str(CLOCK_CHANGES.get(change.get("change", ""), "")),
            "due_at": parse_datetime(change.get("due_at") or ""),
        }
        for change in (event.data or {}).get("sla", [])
    ]
