"""Deadline compliance figures (R-SLA-5), with the missed cases one click away."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kesu.accounts.models import Department, Store, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.models import Case
from kesu.cases.selectors import case_scope
from kesu.sla.forms import GROUP_CHOICES, ComplianceForm
from kesu.sla.selectors import ComplianceRow
from kesu.sla.selectors import compliance as compliance_rows
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial

# The list filter that narrows cases to each kind of grouping key.
_FILTER = {"department": "department", "store": "store", "person": "assignee"}
ROW_HEIGHT = 30  # of the chart's SVG, per group


@dataclass(frozen=True)
class FigureRow:
    """A compliance row with its label and the links to its missed cases."""

    label: str
    figures: ComplianceRow
    response_missed_url: str
    resolution_missed_url: str


@require_GET
@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """On-time rates by department, store, handler, week or month."""
    user = signed_in_user(request)
    if not has_capability(user, Capability.FIGURES_VIEW):
        raise PermissionDenied
    form = ComplianceForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    rows: list[FigureRow] = []
    if not form.errors:
        figures = compliance_rows(
            cases=Case.objects.filter(case_scope(user)),
            group=data["group"],
            received_from=data["received_from"],
            received_to=data["received_to"],
        )
        rows = _labelled(figures, data)
    return render_page_or_partial(
        request,
        "sla/compliance.html",
        {
            "form": form,
            "rows": rows,
            "totals": _totals(rows),
            "group_label": dict(GROUP_CHOICES).get(data.get("group"), ""),
            "chart_height": len(rows) * ROW_HEIGHT,
        },
        partials={"figures": "figures"},
    )


def _labelled(figures: list[ComplianceRow], data: dict[str, Any]) -> list[FigureRow]:
    group = data["group"]
    names = _names(group, [row.key for row in figures])
    rows = []
    for row in figures:
        window = _window(group, row.key, data["received_from"], data["received_to"])
        # Rows without a department/store/handler have no list filter to link to.
        linkable = group not in _FILTER or row.key is not None
        extra = {_FILTER[group]: row.key} if group in _FILTER and linkable else {}
        rows.append(
            FigureRow(
                label=names.get(row.key, _("Not assigned")),
                figures=row,
                response_missed_url=_missed_url("response", window, extra)
                if linkable
                else "",
                resolution_missed_url=_missed_url("resolution", window, extra)
                if linkable
                else "",
            )
        )
    return rows


def _names(group: str, keys: list[Any]) -> dict[Any, str]:
    if group == "department":
        return {d.pk: d.display_name for d in Department.objects.filter(pk__in=keys)}
    if group == "store":
        return {s.pk: s.display_name for s in Store.objects.filter(pk__in=keys)}
    if group == "person":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    label = _("Week of %(day)s") if group == "week" else "%(day)s"
    day_format = "%Y-%m-%d" if group == "week" else "%Y-%m"
    return {key: label % {"day": key.strftime(day_format)} for key in keys if key}


def _window(
    group: str, key: Any, start: dt.date, end: dt.date
) -> tuple[dt.date, dt.date]:
    """The received-date range a row covers, clipped to the chosen period."""
    if group == "week":
        return max(start, key), min(end, key + dt.timedelta(days=6))
    if group == "month":
        following = (key.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return max(start, key), min(end, following - dt.timedelta(days=1))
    return start, end


def _missed_url(
    kind: str, window: tuple[dt.date, dt.date], extra: dict[str, Any]
) -> str:
    query = {
        "breached": kind,
        "received_from": window[0].isoformat(),
        "received_to": window[1].isoformat(),
        **extra,
    }
    return f"{reverse('cases:list')}?{urlencode(query)}"


def _totals(rows: list[FigureRow]) -> ComplianceRow:
    return ComplianceRow(
        key=None,
        response_due=sum(r.figures.response_due for r in rows),
        response_on_time=sum(r.figures.response_on_time for r in rows),
        resolution_due=sum(r.figures.resolution_due for r in rows),
        resolution_on_time=sum(r.figures.resolution_on_time for r in rows),
    )
