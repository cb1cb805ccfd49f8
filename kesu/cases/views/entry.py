"""Recording a complaint by phone or at the counter (R-IN-2), with phone lookup."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import selectors
from kesu.cases.forms.entry import CaseEntryForm
from kesu.cases.services import case_create, customer_find_by_phone
from kesu.core.errors import DomainError
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial

LOOKUP_CASES = 10


def _require_create(user: User) -> None:
    if not has_capability(user, Capability.CASE_CREATE):
        raise PermissionDenied


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """The entry form; on success the new case's page, else the form with errors."""
    user = signed_in_user(request)
    _require_create(user)
    if request.method != "POST":
        form = CaseEntryForm(user=user, initial=_initial(request, user))
        return render_page_or_partial(
            request,
            "cases/new.html",
            {"form": form},
            partials={"subcategory-field": "subcategory"},
        )
    form = CaseEntryForm(request.POST, request.FILES, user=user)
    if form.is_valid():
        try:
            case = case_create(data=form.case_input(), by=user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("Case %(number)s recorded.") % {"number": case})
            return redirect("cases:detail", number=case.number)
    return render(request, "cases/new.html", {"form": form}, status=400)


def _initial(request: HttpRequest, user: User) -> dict[str, object]:
    store = user.stores.filter(is_active=True).first()
    return {"store": store, "category": request.GET.get("category", "")}


@require_GET
@login_required
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """The known customer with the typed phone, masked, and their cases in scope."""
    user = signed_in_user(request)
    _require_create(user)
    phone = request.GET.get("customer_phone", "").strip()
    customer = customer_find_by_phone(phone) if phone else None
    cases = (
        selectors.customer_case_list(user=user, customer=customer)[:LOOKUP_CASES]
        if customer
        else []
    )
    return render(
        request,
        "cases/new.html#lookup",
        {"customer": customer, "earlier_cases": cases, "phone": phone},
    )
