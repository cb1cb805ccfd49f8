"""Form widgets every app's forms share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class DateInput(forms.DateInput):
    """The browser's own date picker."""

    input_type = "date"


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """What Django's `attrs.html` writes: False left out, True as a bare name."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


def _options(options: Iterable[dict[str, Any]]) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (option["value"], _attributes(option["attrs"]), option["label"])
            for option in options
        ),
    )


class QuickSelect(forms.Select):
    """A select written in Python, with the same markup as Django's templates.

    Django renders two templates per option (the option and its attributes): on the
    case list's filter form that was a fifth of the page's CPU time for about 70
    options. `tests/web/test_widgets.py` compares the markup with Django's own.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                groups.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        group_name,
                        _options(options),
                    )
                )
            else:
                groups.append(_options(options))
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            _attributes(widget["attrs"]),
            format_html_join("", "{}", ((group,) for group in groups)),
        )
