"""Near-duplicate pages (R-CL-5): batch problems, and a case's similar complaints."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.selectors import case_get
from kesu.core.errors import NotFound
from kesu.triage.duplicates import batch_problem_list, similar_case_list
from kesu.web.auth import signed_in_user


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
def similar_cases(request: HttpRequest, number: str) -> HttpResponse:
    """The case page's "similar complaints" box (loaded by htmx), in scope only."""
    user = signed_in_user(request)
    try:
        case = case_get(user=user, number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    similar = similar_case_list(user=user, case=case)
    return render(request, "triage/similar_cases.html", {"similar": similar})
