"""The compliance page's choices: grouping and period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.web.widgets import DateInput

GROUP_CHOICES = [
    ("department", _("Department")),
    ("store", _("Store")),
    ("person", _("Handler")),
    ("week", _("Week")),
    ("month", _("Month")),
]
DEFAULT_DAYS = 30


class ComplianceForm(forms.Form):
    group = forms.ChoiceField(
        label=_("Group by"), choices=GROUP_CHOICES, required=False
    )
    received_from = forms.DateField(
        label=_("Received from"), widget=DateInput, required=False
    )
    received_to = forms.DateField(
        label=_("Received to"), widget=DateInput, required=False
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        cleaned["group"] = cleaned.get("group") or "department"
        cleaned["received_to"] = cleaned.get("received_to") or today
        cleaned["received_from"] = cleaned.get("received_from") or (
            cleaned["received_to"] - dt.timedelta(days=DEFAULT_DAYS - 1)
        )
        if cleaned["received_from"] > cleaned["received_to"]:
            self.add_error("received_to", _("The end date is before the start date."))
        return cleaned
