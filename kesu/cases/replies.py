"""Rendering reply templates (话术) with a case's placeholders (R-WF-6)."""

from __future__ import annotations

import string

from django.utils.translation import get_language

from kesu.cases.models import Case, ReplyTemplate

PLACEHOLDERS = ("customer_title", "case_number", "store", "owner", "product")


class _KeepUnknown(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def customer_title(case: Case) -> str:
    """How to address the customer without revealing the full name: 张先生/女士."""
    name = case.customer.name.strip()
    if not name:
        return ""
    if (get_language() or "").startswith("en"):
        return f"Mr./Ms. {name.split()[-1]}"
    return f"{name[0]}先生/女士"


def render_reply(template: ReplyTemplate, case: Case) -> str:
    """The template's text with known placeholders filled, unknown ones kept."""
    values = _KeepUnknown(
        customer_title=customer_title(case),
        case_number=case.number,
        store=str(case.store),
        owner=str(case.owner),
        product=case.product_model or (str(case.product) if case.product else ""),
    )
    formatter = string.Formatter()
    parts = []
    for literal, field, _spec, _conversion in formatter.parse(template.body):
        parts.append(literal)
        if field is not None:
            parts.append(values[field] if field.isidentifier() else "{" + field + "}")
    return "".join(parts)
