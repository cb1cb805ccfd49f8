"""Select fields whose options are read with one plain query."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django import forms
from django.forms.models import ModelChoiceIterator

from kesu.web.widgets import QuickSelect

if TYPE_CHECKING:
    _Iterator = ModelChoiceIterator[Any]
    _Field = forms.ModelChoiceField[Any]
else:  # generic only in django-stubs
    _Iterator = ModelChoiceIterator
    _Field = forms.ModelChoiceField


class ListedChoiceIterator(_Iterator):
    """The options of a select, read like any list instead of through a cursor.

    Django reads a choice field's options with `QuerySet.iterator()`, which on
    PostgreSQL declares a server-side cursor, fetches from it and closes it: three
    round trips per select, 3-20 ms each on the case pages under load, for lists
    of a few dozen rows.
    """

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class ListedModelChoiceField(_Field):
    """A `ModelChoiceField` whose options come from one query (see above)."""

    iterator = ListedChoiceIterator
    widget = QuickSelect
