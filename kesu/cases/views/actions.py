"""The case actions: each view parses one form, calls one service, re-renders.

An htmx request gets back its form's panel with the errors (422 for bad input,
409 for a conflict with the case's state, 403 for a refused role), or on success
the whole case area, retargeted, plus a toast. A plain POST gets the whole page
with the errors, or a redirect to the case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kesu.cases import services
from kesu.cases.models import Case, ReplyTemplate
from kesu.cases.replies import render_reply
from kesu.cases.services.workflow import current_plan
from kesu.cases.views.detail import (
    ANSWER,
    TEMPLATE,
    Panel,
    build_panel,
    detail_context,
    get_case_or_404,
)
from kesu.cases.workflow import Action
from kesu.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial, trigger_toast

Call = Callable[[dict[str, Any]], object]


def _status_for(error: DomainError) -> int:
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, Conflict):
        return 409
    return 422 if isinstance(error, InvalidInput) else 400


def _panel_response(
    request: HttpRequest, case: Case, panel: Panel, status: int
) -> HttpResponse:
    return render_page_or_partial(
        request,
        TEMPLATE,
        detail_context(request, case, bound=panel),
        partials={panel.element_id: "action_panel"},
        status=status,
    )


def _done(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    if not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, message)
        return redirect("cases:detail", number=case.number)
    case = get_case_or_404(request, case.number)
    response = render(request, f"{TEMPLATE}#case_area", detail_context(request, case))
    # The form targeted its own panel; success redraws the whole case area.
    response["HX-Retarget"] = "#case-area"
    response["HX-Reswap"] = "outerHTML"
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return trigger_toast(response, message)


def _handle(
    request: HttpRequest, case: Case, key: str, call: Call, message: str
) -> HttpResponse:
    """Validate the panel's form, call the service, answer as the module says."""
    panel = build_panel(case, key, request.POST)
    if not panel.form.is_valid():
        return _panel_response(request, case, panel, 422)
    try:
        call(panel.form.cleaned_data)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as error:
        field = error.field if error.field in panel.form.fields else None
        panel.form.add_error(field, error.message)
        return _panel_response(request, case, panel, _status_for(error))
    return _done(request, case, message)


@require_POST
@login_required
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Move the case one workflow step (R-WF-1)."""
    if action not in Action.values:
        raise Http404
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_transition(
            case=case,
            action=action,
            by=signed_in_user(request),
            reason=data.get("reason", ""),
            resolution_note=data.get("resolution_note", ""),
            customer_accepted=data.get("customer_accepted"),
        )

    return _handle(request, case, action, call, _("Case updated."))


@require_POST
@login_required
def verification_record(request: HttpRequest, number: str) -> HttpResponse:
    """Record the verification result and notes (R-IN-4)."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_record_verification(
            case=case, by=signed_in_user(request), **data
        )

    return _handle(request, case, "verification", call, _("Verification recorded."))


@require_POST
@login_required
def plan_propose(request: HttpRequest, number: str) -> HttpResponse:
    """Propose a handling plan (R-WF-2/4/5)."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.plan_propose(case=case, by=signed_in_user(request), **data)

    return _handle(request, case, "plan_propose", call, _("Plan proposed."))


@require_POST
@login_required
def plan_decide(request: HttpRequest, number: str, plan_id: int) -> HttpResponse:
    """Approve or refuse the compensation of the current plan (R-WF-2)."""
    case = get_case_or_404(request, number)
    get_object_or_404(case.plans, pk=plan_id)

    def call(data: dict[str, Any]) -> object:
        plan = current_plan(case)
        if plan is None or plan.pk != plan_id:
            raise Conflict(_("A newer plan replaced this one."))
        return services.plan_decide(
            case=case,
            by=signed_in_user(request),
            approve=data["decision"] == "approve",
            note=data["note"],
        )

    return _handle(request, case, "plan_decide", call, _("Decision recorded."))


@require_POST
@login_required
def feedback_record(request: HttpRequest, number: str) -> HttpResponse:
    """Record the customer's feedback on the resolution."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_record_feedback(
            case=case, by=signed_in_user(request), **data
        )

    return _handle(request, case, "feedback", call, _("Feedback recorded."))


@require_POST
@login_required
def assign(request: HttpRequest, number: str) -> HttpResponse:
    """Give the case to a department and handler; the owner stays (R-CL-4)."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_assign(case=case, by=signed_in_user(request), **data)

    return _handle(request, case, "assign", call, _("Case assigned."))


@require_POST
@login_required
def handover(request: HttpRequest, number: str) -> HttpResponse:
    """Hand first-contact ownership (首问负责) to another user."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_handover(case=case, by=signed_in_user(request), **data)

    return _handle(request, case, "handover", call, _("Case handed over."))


@require_POST
@login_required
def classify(request: HttpRequest, number: str) -> HttpResponse:
    """Set category, sub-category, severity and impact grade."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.case_classify(case=case, by=signed_in_user(request), **data)

    return _handle(request, case, "classify", call, _("Classification saved."))


@require_POST
@login_required
def unmask(request: HttpRequest, number: str) -> HttpResponse:
    """Show the customer's personal data in this response only (R-SEC-2)."""
    case = get_case_or_404(request, number)
    try:
        revealed = services.case_unmask(case=case, by=signed_in_user(request))
    except PermissionDenied as exc:
        return HttpResponse(exc.message, status=403)
    response = render_page_or_partial(
        request,
        TEMPLATE,
        detail_context(request, case, revealed=revealed),
        partials={"customer": "customer"},
    )
    # Plaintext personal data must not linger in shared or browser caches.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def note_add(request: HttpRequest, number: str) -> HttpResponse:
    """Add an internal note or a customer-visible reply (R-WF-3)."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.note_add(
            case=case,
            by=signed_in_user(request),
            text=data["text"],
            is_customer_visible=data["visibility"] == "customer",
        )

    return _handle(request, case, "note", call, _("Note added."))


@require_http_methods(["GET", "POST"])
@login_required
def communication_log(request: HttpRequest, number: str) -> HttpResponse:
    """Log a contact with the customer; GET fills the text from a reply template."""
    case = get_case_or_404(request, number)
    if request.method == "GET":
        return _communication_filled(request, case)

    def call(data: dict[str, Any]) -> object:
        template = data.pop("template")
        return services.communication_log(
            case=case,
            by=signed_in_user(request),
            template_id=template.pk if template else None,
            **data,
        )

    return _handle(request, case, "communication", call, _("Communication logged."))


def _communication_filled(request: HttpRequest, case: Case) -> HttpResponse:
    """The communication form again, its summary filled from the chosen template."""
    panel = build_panel(case, "communication")
    panel.opened = True
    template_id = request.GET.get("template", "")
    template = (
        ReplyTemplate.objects.filter(pk=template_id, is_active=True).first()
        if template_id.isdigit()
        else None
    )
    panel.form.initial = {
        "kind": request.GET.get("kind", ""),
        "direction": request.GET.get("direction", ""),
        "template": template.pk if template else None,
        "summary": render_reply(template, case)
        if template
        else request.GET.get("summary", ""),
    }
    return _panel_response(request, case, panel, 200)


@require_POST
@login_required
def collaboration_request(request: HttpRequest, number: str) -> HttpResponse:
    """Ask another department for help, with a due time (R-WF-3)."""
    case = get_case_or_404(request, number)

    def call(data: dict[str, Any]) -> object:
        return services.collaboration_request(
            case=case, by=signed_in_user(request), **data
        )

    return _handle(request, case, "collaboration_request", call, _("Request sent."))


@require_POST
@login_required
def collaboration_answer(
    request: HttpRequest, number: str, request_id: int
) -> HttpResponse:
    """Answer a collaboration request: done, or declined with a reason."""
    case = get_case_or_404(request, number)
    item = get_object_or_404(case.collaborations, pk=request_id)

    def call(data: dict[str, Any]) -> object:
        return services.collaboration_answer(
            item=item,
            by=signed_in_user(request),
            response=data["response"],
            done=data["outcome"] == "done",
        )

    key = f"{ANSWER}{request_id}"
    return _handle(request, case, key, call, _("Answer sent."))
