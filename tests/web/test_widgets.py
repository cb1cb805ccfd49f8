"""`QuickSelect` writes the same markup as Django's own select templates."""

from __future__ import annotations

import re

import pytest
from django import forms

from kesu.accounts.models import Department
from kesu.cases.forms.choices import ListedModelChoiceField
from kesu.web.widgets import QuickSelect

CHOICES = [
    ("", "---------"),
    ("plain", "Plain"),
    ('q"uote', "<b>Bold & co</b>"),
    ("中文", "中文标签"),
]
GROUPED = [
    ("", "---------"),
    ("Fruit", [("apple", "Apple"), ("pear", "Pear <ripe>")]),
    ("loose", "Loose option"),
    ("Empty group", []),
]


def _normalised(html: str) -> str:
    """Django's templates put newlines and indents between tags."""
    return re.sub(r">\s+<", "><", str(html)).strip()


def _both(field: forms.Field, data: dict[str, str] | None) -> tuple[str, str]:
    def render(widget: type[forms.Select]) -> str:
        field.widget = widget(choices=field.widget.choices)
        form = type("F", (forms.Form,), {"pick": field})(data)
        if data is not None:
            form.is_valid()
        return _normalised(str(form["pick"]))

    return render(QuickSelect), render(forms.Select)


@pytest.mark.parametrize("choices", [CHOICES, GROUPED], ids=["flat", "grouped"])
@pytest.mark.parametrize(
    "data", [None, {"pick": "plain"}, {"pick": "apple"}, {"pick": "nope"}, {}]
)
@pytest.mark.parametrize("required", [True, False])
def test_markup_equals_djangos(
    choices: list, data: dict[str, str] | None, required: bool
) -> None:
    quick, django = _both(forms.ChoiceField(choices=choices, required=required), data)

    assert quick == django
    assert quick.startswith('<select name="pick"')


def test_labels_and_values_are_escaped() -> None:
    quick, _ = _both(forms.ChoiceField(choices=CHOICES), {"pick": 'q"uote'})

    assert "<b>" not in quick
    assert "&lt;b&gt;Bold &amp; co&lt;/b&gt;" in quick
    assert 'value="q&quot;uote" selected' in quick


def test_boolean_attributes_follow_djangos_rules() -> None:
    widget = QuickSelect(
        choices=CHOICES, attrs={"disabled": True, "hidden": False, "data-x": 0}
    )
    html = widget.render("pick", "plain")

    assert html.startswith('<select name="pick" disabled data-x="0">')
    assert _normalised(html) == _normalised(
        forms.Select(choices=CHOICES, attrs=widget.attrs).render("pick", "plain")
    )


@pytest.mark.django_db
def test_model_choices_and_a_bound_error() -> None:
    Department.objects.create(code="repairs", name="Repairs <east>")
    chosen = Department.objects.create(code="returns", name="Returns")
    field = ListedModelChoiceField(queryset=Department.objects.order_by("code"))

    for data in ({"pick": str(chosen.pk)}, {"pick": "0"}):
        quick, django = _both(field, data)
        assert quick == django
    assert isinstance(field.widget, forms.Select)
    assert f'value="{chosen.pk}"' in quick
    assert "aria-invalid" in quick  # "0" is no department
