"""The upload form and the column-mapping form of the import pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.accounts.models import Store
from kesu.core.errors import DomainError
from kesu.intake.imports.mapping import FIELDS
from kesu.intake.models import ImportChannel, ImportJob, ImportPreset


class DomainErrorMixin(forms.Form):
    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on its field, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class UploadForm(DomainErrorMixin):
    """A file, the preset (source) it comes from, and the store its rows belong to."""

    file = forms.FileField(label=gettext_lazy("CSV or XLSX file"))
    preset = forms.ModelChoiceField(
        queryset=ImportPreset.objects.all(),
        required=False,
        label=gettext_lazy("Source preset"),
        empty_label=gettext_lazy("New source…"),
    )
    name = forms.SlugField(
        required=False,
        max_length=60,
        label=gettext_lazy("New preset name"),
        help_text=gettext_lazy("Only for a new source, e.g. tmall-reviews."),
    )
    platform = forms.SlugField(
        required=False, max_length=40, label=gettext_lazy("Source platform")
    )
    channel = forms.ChoiceField(
        choices=ImportChannel.choices, label=gettext_lazy("Channel")
    )
    store = forms.ModelChoiceField(
        queryset=Store.objects.filter(is_active=True),
        required=False,
        label=gettext_lazy("Store for rows that name none"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("preset"):
            for name in ("name", "platform"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed for a new source."))
        return cleaned


class MappingForm(DomainErrorMixin):
    """One select per Kesu field, offering the file's columns."""

    save_to_preset = forms.BooleanField(
        required=False, initial=True, label=gettext_lazy("Save as the preset's mapping")
    )

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [(header, header) for header in headers]
        for target in FIELDS:
            if target.is_multiple:
                self.fields[target.name] = forms.MultipleChoiceField(
                    choices=columns,
                    label=target.label,
                    help_text=_("Several columns are joined in this order."),
                )
            else:
                self.fields[target.name] = forms.ChoiceField(
                    choices=[("", "—"), *columns], required=False, label=target.label
                )
        # The checkbox last, after the fields.
        self.order_fields([target.name for target in FIELDS])

    @staticmethod
    def initial_for(job: ImportJob, headers: list[str]) -> dict[str, Any]:
        """The job's mapping, else the preset's columns that this file has too."""
        mapping = job.mapping or job.preset.mapping
        initial: dict[str, Any] = {}
        for name, columns in mapping.items():
            present = [column for column in columns if column in headers]
            if present:
                initial[name] = present if name == "description" else present[0]
        return initial

    @property
    def target_fields(self) -> list[forms.BoundField]:
        return [self[target.name] for target in FIELDS]

    def mapping(self) -> dict[str, list[str]]:
        """The chosen columns by Kesu field."""
        chosen: dict[str, list[str]] = {}
        for target in FIELDS:
            value = self.cleaned_data.get(target.name)
            if isinstance(value, list) and value:
                chosen[target.name] = value
            elif value:
                chosen[target.name] = [value]
        return chosen
