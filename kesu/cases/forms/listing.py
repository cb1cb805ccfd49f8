"""The case list's filter form (R-SEC-1 scoping is the selector's job)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, Store, User
from kesu.cases.forms.choices import ListedModelChoiceField
from kesu.cases.models import Category, Channel, Severity
from kesu.cases.selectors import CaseFilters
from kesu.cases.workflow import Status
from kesu.web.widgets import DateInput, QuickSelect

# Only what a user's label needs (see User.__str__), not password hashes.
_STAFF = User.objects.filter(is_active=True).only(
    "username", "display_name", "first_name", "last_name"
)

QUEUE_CHOICES = [
    ("", _("All cases")),
    ("mine", _("My cases")),
    ("team", _("Team queue")),
    ("unassigned", _("Unassigned")),
    ("breaching", _("Breaching soon")),
    ("triage", _("Needs triage")),
]

BREACHED_CHOICES = [
    ("", "---------"),
    ("response", _("First response missed")),
    ("plan", _("Handling plan missed")),
    ("resolution", _("Resolution missed")),
]


class CaseFilterForm(forms.Form):
    """Every filter of `CaseFilters`; invalid values are reported and ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    queue = forms.ChoiceField(
        label=_("Queue"),
        choices=QUEUE_CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = ListedModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(parent__isnull=True),
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=[("", "---------"), *Severity.choices],
        required=False,
        widget=QuickSelect,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", "---------"), *Channel.choices],
        required=False,
        widget=QuickSelect,
    )
    department = ListedModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False
    )
    store = ListedModelChoiceField(
        label=_("Store"), queryset=Store.objects.all(), required=False
    )
    assignee = ListedModelChoiceField(
        label=_("Assignee"),
        queryset=_STAFF.order_by("username"),
        required=False,
    )
    owner = ListedModelChoiceField(
        label=_("Owner"),
        queryset=_STAFF.order_by("username"),
        required=False,
    )
    received_from = forms.DateField(
        label=_("Received from"), widget=DateInput, required=False
    )
    received_to = forms.DateField(
        label=_("Received to"), widget=DateInput, required=False
    )
    breached = forms.ChoiceField(
        label=_("Deadline missed"),
        choices=BREACHED_CHOICES,
        required=False,
        widget=QuickSelect,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return cleaned

    def has_advanced_filters(self) -> bool:
        """Whether a filter beyond search and queue is set, so the panel opens."""
        basic = {"q", "queue", "page"}
        return bool(self.errors) or any(
            value for key, value in self.data.items() if key not in basic
        )

    def filters(self) -> CaseFilters:
        """The valid filters only: a bad value is shown as an error, not applied."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return CaseFilters(
            status=data.get("status") or None,
            category=_pk(data.get("category")),
            severity=data.get("severity", ""),
            department=_pk(data.get("department")),
            store=_pk(data.get("store")),
            assignee=_pk(data.get("assignee")),
            owner=_pk(data.get("owner")),
            channel=data.get("channel", ""),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            text=data.get("q", ""),
            queue=data.get("queue", ""),
            breached=data.get("breached", ""),
        )


def _pk(obj: Any) -> int | None:
    return obj.pk if obj is not None else None
