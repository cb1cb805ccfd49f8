"""Triage pages: batch problems, the case page's triage card and similar complaints
(R-CL-3, R-CL-5), and the models page (retrain, activate, roll back)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.selectors import case_get
from kesu.core.errors import DomainError, NotFound
from kesu.triage import model_selectors
from kesu.triage.duplicates import batch_problem_list, similar_case_list
from kesu.triage.forms import ActivateForm
from kesu.triage.models import RetrainTrigger
from kesu.triage.selectors import case_triage_summary
from kesu.triage.services import model_activate
from kesu.triage.services.retraining import retrain_request
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial, trigger_toast


@require_GET
@login_required
def batch_problems(request: HttpRequest) -> HttpResponse:
    """Clusters of near-identical open complaints, for quality and supervisors."""
    user = signed_in_user(request)
    if not has_capability(user, Capability.FIGURES_VIEW):
        raise PermissionDenied
    context = {
        "problems": batch_problem_list(user=user),
        "size": settings.KESU_BATCH_PROBLEM_SIZE,
        "days": settings.KESU_BATCH_PROBLEM_WINDOW_DAYS,
    }
    return render(request, "triage/batch_problems.html", context)


@require_GET
@login_required
def case_boxes(request: HttpRequest, number: str) -> HttpResponse:
    """The case page's triage boxes (loaded by htmx), in scope only.

    The triage card, when the case has an automatic triage the user may see, and
    the similar complaints: one request, as the case page's one placeholder.
    """
    user = signed_in_user(request)
    try:
        case = case_get(user=user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {
        "triage": case_triage_summary(case=case, user=user),
        "similar": similar_case_list(user=user, case=case),
    }
    return render(request, "triage/case_boxes.html", context)


def _model_manager(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not has_capability(user, Capability.MODELS_MANAGE):
        raise PermissionDenied
    return user


def _models_render(
    request: HttpRequest, form: ActivateForm | None = None, status: int = 200
) -> HttpResponse:
    names = model_selectors.model_version_names()
    context = {
        "overview": model_selectors.models_overview(),
        "form": form or ActivateForm(versions=names),
    }
    return render_page_or_partial(
        request,
        "triage/models.html",
        context,
        partials={"models-area": "models_area"},
        status=status,
    )


@require_GET
@login_required
def models(request: HttpRequest) -> HttpResponse:
    """Model versions with their figures; htmx polls it while a retraining runs."""
    _model_manager(request)
    return _models_render(request)


@require_POST
@login_required
def models_retrain(request: HttpRequest) -> HttpResponse:
    """Queue a retraining (one, however often the button is pressed)."""
    user = _model_manager(request)
    __, created = retrain_request(trigger=RetrainTrigger.BUTTON, by=user)
    note = (
        _("Retraining queued.")
        if created
        else _("A retraining is already queued or running.")
    )
    if request.headers.get("HX-Request") != "true":
        messages.info(request, note)
        return redirect("triage:models")
    return trigger_toast(_models_render(request), note)


@require_POST
@login_required
def models_activate(request: HttpRequest) -> HttpResponse:
    """Activate a stored version, or roll back to an older one or the shipped model."""
    user = _model_manager(request)
    names = model_selectors.model_version_names()
    form = ActivateForm(request.POST, versions=names)
    if form.is_valid():
        try:
            model_activate(version=form.cleaned_data["version"], by=user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, _("The active model changed."))
            return redirect("triage:models")
    return _models_render(request, form, status=400)
