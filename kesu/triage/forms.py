"""Forms of the triage pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from kesu.core.errors import DomainError


class ActivateForm(forms.Form):
    """Which model version to activate: a stored one, or 'default' (the shipped)."""

    version = forms.ChoiceField(label=_("Model version"))

    def __init__(self, *args: Any, versions: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["version"])
        field.choices = [("default", _("Shipped model"))] + [(v, v) for v in versions]

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on its field, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)
