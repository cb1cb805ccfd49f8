"""Form widgets every app's forms share."""

from __future__ import annotations

from django import forms


class DateInput(forms.DateInput):
    """The browser's own date picker."""

    input_type = "date"
