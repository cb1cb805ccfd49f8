"""Forms of the case detail page's actions; each maps onto one service call."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, User
from kesu.accounts.permissions import ROLE_CAPABILITIES, Capability
from kesu.cases.forms.choices import ListedModelChoiceField
from kesu.cases.models import (
    Case,
    Category,
    FeedbackResult,
    ImpactGrade,
    ReplyTemplate,
    ResolutionType,
    Responsibility,
    Severity,
    VerificationResult,
    Visibility,
)
from kesu.cases.services.work import COMMUNICATION_KINDS
from kesu.cases.workflow import GUARDS, REASON_GIVEN, Action

# Who can be given work: the roles holding the case.work capability.
WORKING_ROLES = [
    role for role, caps in ROLE_CAPABILITIES.items() if Capability.CASE_WORK in caps
]


def _text(rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


def _staff() -> Any:
    return User.objects.filter(is_active=True, role__in=WORKING_ROLES).order_by(
        "username"
    )


class TransitionForm(forms.Form):
    """One workflow step; a reason where the workflow asks for one (R-WF-1)."""

    def __init__(self, *args: Any, action: Action, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        if REASON_GIVEN in GUARDS.get(action, ()):
            self.fields["reason"] = _text(label=_("Reason"))
        if action == Action.RESOLVE:
            self.fields["resolution_note"] = _text(
                label=_("Resolution note"), required=False
            )
            self.fields["customer_accepted"] = forms.NullBooleanField(
                label=_("Customer accepted the resolution"), required=False
            )


class VerificationForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Verification result"), choices=VerificationResult.choices
    )
    note = _text(label=_("Verification notes"), required=False)


class PlanForm(forms.Form):
    """A handling plan (R-WF-2/4/5)."""

    resolution_type = forms.ChoiceField(
        label=_("Resolution"), choices=ResolutionType.choices
    )
    compensation_amount = forms.DecimalField(
        label=_("Compensation amount"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        initial=0,
    )
    description = _text(label=_("Plan"))
    responsibility = forms.ChoiceField(
        label=_("Responsibility"),
        choices=[("", "—"), *Responsibility.choices],
        required=False,
    )
    responsible_employee = ListedModelChoiceField(
        label=_("Responsible employee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible_employee"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")


class PlanDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.HiddenInput,
    )
    note = _text(label=_("Decision note"), required=False)


class FeedbackForm(forms.Form):
    result = forms.ChoiceField(
        label=_("Feedback result"), choices=FeedbackResult.choices
    )
    note = _text(label=_("Feedback note"), required=False)


class AssignForm(forms.Form):
    department = ListedModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(is_active=True)
    )
    assignee = ListedModelChoiceField(
        label=_("Handler"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff()  # type: ignore[attr-defined]


class HandoverForm(forms.Form):
    new_owner = ListedModelChoiceField(
        label=_("New owner"), queryset=User.objects.none()
    )
    reason = _text(label=_("Reason"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = _staff()  # type: ignore[attr-defined]


class ClassifyForm(forms.Form):
    category = ListedModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(parent=None, is_active=True),
        required=False,
    )
    subcategory = ListedModelChoiceField(
        label=_("Sub-category"),
        queryset=Category.objects.filter(parent__isnull=False, is_active=True),
        required=False,
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    impact_grade = forms.ChoiceField(
        label=_("Impact grade"), choices=ImpactGrade.choices
    )

    @classmethod
    def initial_for(cls, case: Case) -> dict[str, Any]:
        return {
            "category": case.category_id,
            "subcategory": case.subcategory_id,
            "severity": case.severity,
            "impact_grade": case.impact_grade,
        }


class NoteForm(forms.Form):
    text = _text(label=_("Note"))
    visibility = forms.ChoiceField(
        label=_("Visible to"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
    )


class CommunicationForm(forms.Form):
    """A logged call, SMS, e-mail or visit (R-WF-6); a template can fill the text."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=list(
            zip(
                COMMUNICATION_KINDS,
                [_("Call"), _("SMS"), _("E-mail"), _("Visit")],
                strict=True,
            )
        ),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("outbound", _("Outbound")), ("inbound", _("Inbound"))],
    )
    template = ListedModelChoiceField(
        label=_("Reply template"),
        queryset=ReplyTemplate.objects.filter(is_active=True),
        required=False,
    )
    summary = _text(rows=4, label=_("Summary"))

    def __init__(self, *args: Any, fill_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fill_url:
            # Picking a template asks the server for the filled text (no inline JS).
            self.fields["template"].widget.attrs.update(
                {
                    "hx-get": fill_url,
                    "hx-trigger": "change",
                    "hx-target": "#panel-communication",
                    "hx-swap": "outerHTML",
                    # Keep the choices made so far, not the CSRF token, in the URL.
                    "hx-include": "#id_communication_kind, #id_communication_direction",
                }
            )


class CollaborationRequestForm(forms.Form):
    department = ListedModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(is_active=True)
    )
    request = _text(label=_("Request"))
    due_at = forms.DateTimeField(
        label=_("Due at"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("In the store's local time."),
    )

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_due_at(self) -> dt.datetime:
        # The browser sends a wall-clock time; it means the store's local time.
        value: dt.datetime = self.cleaned_data["due_at"]
        naive = timezone.make_naive(value) if timezone.is_aware(value) else value
        return naive.replace(tzinfo=self.zone)


class CollaborationAnswerForm(forms.Form):
    response = _text(label=_("Answer"))
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("done", _("Done")), ("declined", _("Declined"))]
    )
