"""The case detail page: facts, plans, collaboration, timeline and the actions panel.

Each action is a `Panel`: a form in a container `panel-<key>` that htmx swaps on
its own; `kesu.cases.views.actions` answers the forms. Work panels the page shows
collapsed are sent as a title only (`ClosedPanel`): their forms (select lists of
people, categories, templates) were half the page's rendering time, and are
fetched when the user opens one (`?panel=<key>`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from kesu.accounts.models import Department, User
from kesu.cases import selectors
from kesu.cases.forms.actions import (
    AssignForm,
    ClassifyForm,
    CollaborationAnswerForm,
    CollaborationRequestForm,
    CommunicationForm,
    FeedbackForm,
    HandoverForm,
    NoteForm,
    PlanDecisionForm,
    PlanForm,
    TransitionForm,
    VerificationForm,
)
from kesu.cases.models import Case, CaseEvent, Category, CollaborationStatus
from kesu.cases.services.workflow import current_plan
from kesu.cases.workflow import Action, Status, allowed_actions
from kesu.core.errors import NotFound
from kesu.sla.selectors import case_deadlines
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial

TEMPLATE = "cases/detail.html"
ANSWER = "collaboration_answer-"
OPEN = frozenset({"plan_decide", "verification", "feedback"})


@dataclass
class Panel:
    """One action form of the page; `buttons` are (name, value, label) submits."""

    key: str
    title: str | Promise
    url: str
    form: forms.Form
    buttons: list[tuple[str, str, str | Promise]] = field(default_factory=list)
    # Why the step cannot be taken yet (a workflow guard); shown, button disabled.
    blocked: str = ""
    opened: bool = False
    is_placeholder: ClassVar[bool] = False

    @property
    def element_id(self) -> str:
        return f"panel-{self.key}"

    @property
    def is_open(self) -> bool:
        """Workflow steps and decisions show; other work opens on demand or error."""
        always = self.key in Action.values or self.key in OPEN
        return always or self.opened or self.form.is_bound


@dataclass(frozen=True)
class ClosedPanel:
    """A collapsed work panel: its title, and where htmx fetches its form."""

    key: str
    title: str | Promise
    url: str
    is_placeholder: ClassVar[bool] = True

    @property
    def element_id(self) -> str:
        return f"panel-{self.key}"


@dataclass(frozen=True)
class PanelSpec:
    """A work panel; its key is also the name of the URL its form posts to."""

    title: str | Promise
    form_class: type[forms.Form]
    submit: str | Promise


PANELS: dict[str, PanelSpec] = {
    "verification": PanelSpec(
        _("Verification"), VerificationForm, _("Record verification")
    ),
    "plan_propose": PanelSpec(_("Handling plan"), PlanForm, _("Propose plan")),
    "feedback": PanelSpec(_("Customer feedback"), FeedbackForm, _("Record feedback")),
    "assign": PanelSpec(_("Assign"), AssignForm, _("Assign")),
    "classify": PanelSpec(_("Classification"), ClassifyForm, _("Save classification")),
    "handover": PanelSpec(_("Hand over ownership"), HandoverForm, _("Hand over")),
    "note": PanelSpec(_("Note or reply"), NoteForm, _("Add")),
    "communication": PanelSpec(_("Communication log"), CommunicationForm, _("Log")),
    "collaboration_request": PanelSpec(
        _("Ask another department"), CollaborationRequestForm, _("Send request")
    ),
}
# The order of the actions panel, after the workflow steps.
PANEL_ORDER = (
    "verification",
    "plan_decide",
    "plan_propose",
    "feedback",
    "assign",
    "classify",
    "handover",
    "note",
    "communication",
    "collaboration_request",
)


def get_case_or_404(request: HttpRequest, number: str) -> Case:
    """The case in the user's scope, else 404 (never say whether it exists)."""
    try:
        return selectors.case_get(user=signed_in_user(request), number=number)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _url(name: str, case: Case, **kwargs: object) -> str:
    return reverse(f"cases:{name}", kwargs={"number": case.number, **kwargs})


def _form_kwargs(case: Case, key: str) -> dict[str, Any]:
    if key == "assign":
        initial = {"department": case.department_id, "assignee": case.assignee_id}
        return {"initial": initial}
    if key == "classify":
        return {"initial": ClassifyForm.initial_for(case)}
    if key == "communication":
        return {"fill_url": _url("communication", case)}
    if key == "collaboration_request":
        return {"zone": case.store.zone}
    return {}


def build_panel(case: Case, key: str, data: Any = None) -> Panel:
    """The panel `key` with an unbound form, or bound to `data` when given."""
    panel = _make_panel(case, key, data)
    # Many forms share a page: prefix ids so labels point at the right field.
    panel.form.auto_id = f"id_{key}_%s"
    return panel


def _make_panel(case: Case, key: str, data: Any) -> Panel:
    if key in Action.values:
        action = Action(key)
        url = _url("action", case, action=key)
        form: forms.Form = TransitionForm(data, action=action)
        return Panel(key, action.label, url, form, [("", "", action.label)])
    if key.startswith(ANSWER):
        url = _url("collaboration_answer", case, request_id=int(key[len(ANSWER) :]))
        form = CollaborationAnswerForm(data)
        return Panel(key, _("Answer"), url, form, [("", "", _("Send answer"))])
    if key == "plan_decide":
        return _decision_panel(case, data)
    spec = PANELS.get(key)
    if spec is None:
        raise Http404
    form = spec.form_class(data, **_form_kwargs(case, key))
    return Panel(key, spec.title, _url(key, case), form, [("", "", spec.submit)])


def _decision_panel(case: Case, data: Any) -> Panel:
    plan = current_plan(case)
    if plan is None:
        raise Http404
    return Panel(
        "plan_decide",
        _("Approve compensation"),
        _url("plan_decide", case, plan_id=plan.pk),
        PlanDecisionForm(data),
        [("decision", "approve", _("Approve")), ("decision", "refuse", _("Refuse"))],
    )


def _referenced_ids(events: list[CaseEvent]) -> dict[str, set[Any]]:
    ids: dict[str, set[Any]] = {
        "users": set(),
        "departments": set(),
        "categories": set(),
    }
    for event in events:
        data = event.data or {}
        ids["departments"].add(data.get("department"))
        for side in (data.get("from"), data.get("to")):
            if isinstance(side, dict):
                ids["departments"].add(side.get("department"))
                ids["users"].add(side.get("assignee"))
                ids["categories"].add(side.get("category_id"))
                ids["categories"].add(side.get("subcategory_id"))
            elif event.type == "case.handed_over":
                ids["users"].add(side)
    return ids


def _timeline(case: Case, user: User) -> tuple[list[CaseEvent], dict[str, Any]]:
    """The visible events, and the names of the people and things they mention."""
    events = list(selectors.case_timeline(case=case, user=user))
    ids = _referenced_ids(events)
    managers: dict[str, Any] = {
        "users": User.objects,
        "departments": Department.objects,
        "categories": Category.objects,
    }
    names = {
        kind: {o.pk: str(o) for o in manager.filter(pk__in=ids[kind] - {None})}
        for kind, manager in managers.items()
    }
    return events, names


def _page_panel(case: Case, key: str, opened: str) -> Panel | ClosedPanel:
    if key in Action.values or key in OPEN or key == opened:
        panel = build_panel(case, key)
        panel.opened = key == opened
        return panel
    url = f"{_url('detail', case)}?panel={key}"
    return ClosedPanel(key, PANELS[key].title, url)


def _panels(
    case: Case, available: frozenset[str], opened: str
) -> list[Panel | ClosedPanel]:
    steps = [action.value for action in allowed_actions(Status(case.status))]
    panels = [
        _page_panel(case, key, opened)
        for key in (*steps, *PANEL_ORDER)
        if key in available
    ]
    if available.intersection(steps):
        blocked = selectors.case_blocked_actions(case=case)
        for panel in panels:
            if isinstance(panel, Panel):
                panel.blocked = blocked.get(panel.key, "")
    return panels


def detail_context(
    request: HttpRequest,
    case: Case,
    *,
    bound: Panel | None = None,
    revealed: dict[str, str] | None = None,
    opened: str = "",
) -> dict[str, Any]:
    """Everything the page shows; `bound` replaces its panel with a submitted form.

    `opened` names a work panel to show open with its form (the link a collapsed
    panel offers without JavaScript).
    """
    user = signed_in_user(request)
    plans = list(case.plans.select_related("proposed_by", "decided_by"))
    available = selectors.case_available_actions(case=case, user=user, plans=plans)
    panels = _panels(case, available, opened)
    collaborations = list(
        case.collaborations.select_related("department", "requested_by", "answered_by")
    )
    answers = {
        item.pk: build_panel(case, f"{ANSWER}{item.pk}")
        for item in collaborations
        if item.status == CollaborationStatus.OPEN
        and "collaboration_answer" in available
    }
    if bound is not None and bound.key.startswith(ANSWER):
        answers[int(bound.key[len(ANSWER) :])] = bound
    elif bound is not None:
        keys = [panel.key for panel in panels]
        if bound.key in keys:
            panels[keys.index(bound.key)] = bound
        else:
            panels.append(bound)
    events, names = _timeline(case, user)
    return {
        "case": case,
        "panels": panels,
        "panel": bound,
        "answers": answers,
        "can_unmask": "unmask" in available,
        "revealed": revealed,
        "plans": plans,
        "collaborations": collaborations,
        "attachments": list(case.attachments.all()),
        "events": events,
        "names": names,
        "deadlines": case_deadlines(case),
    }


@require_GET
@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The case page; htmx may ask for the case area, the timeline or one panel."""
    case = get_case_or_404(request, number)
    opened = request.GET.get("panel", "")
    if opened and _is_htmx_for(request, f"panel-{opened}"):
        return _panel_fragment(request, case, opened)
    return render_page_or_partial(
        request,
        TEMPLATE,
        detail_context(request, case, opened=opened),
        partials={"case-area": "case_area", "timeline": "timeline"},
    )


def _is_htmx_for(request: HttpRequest, element_id: str) -> bool:
    is_htmx = request.headers.get("HX-Request") == "true"
    return is_htmx and request.headers.get("HX-Target") == element_id


def _panel_fragment(request: HttpRequest, case: Case, key: str) -> HttpResponse:
    """One collapsed work panel, open with its form; 404 when not the user's to do."""
    available = selectors.case_available_actions(
        case=case, user=signed_in_user(request)
    )
    if key not in PANELS or key not in available:
        raise Http404
    panel = build_panel(case, key)
    panel.opened = True
    response = render(
        request, f"{TEMPLATE}#action_panel", {"case": case, "panel": panel}
    )
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_GET
@login_required
def attachment_download(
    request: HttpRequest, number: str, attachment_id: int
) -> FileResponse:
    """Serve an attachment only to users who may see its case."""
    case = get_case_or_404(request, number)
    attachment = get_object_or_404(case.attachments, pk=attachment_id)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
