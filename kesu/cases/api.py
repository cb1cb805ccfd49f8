"""Cases over JSON: the `/api/v1/cases` router (issue 2; schemas in `schemas.py`).

Endpoints only parse, fetch the case in the caller's scope, call one service and render.
Customer data is masked in every response except `POST …/unmask`, which the service
audits. Times are ISO 8601 in UTC with an explicit offset (`+00:00`); each case names
its store's time zone for clients that show local time.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status as HttpStatus

from kesu.accounts.models import Department, Store, User
from kesu.api import auth
from kesu.api.auth import ApiRequest
from kesu.cases import services
from kesu.cases.models import (
    Case,
    Category,
    Product,
)
from kesu.cases.schemas import (
    ERRORS,
    ActionIn,
    AssignmentIn,
    CaseCreateIn,
    CaseDetailOut,
    CaseListQuery,
    CaseOut,
    CasePage,
    CommunicationIn,
    CustomerOut,
    DecisionIn,
    FeedbackIn,
    HandoverIn,
    NoteIn,
    PlanIn,
    PlanOut,
    Ref,
    VerificationIn,
)
from kesu.cases.search import MANY_MATCHES
from kesu.cases.selectors import (
    case_get,
    case_list,
    case_rows,
    case_search,
)
from kesu.cases.services.workflow import current_plan
from kesu.cases.workflow import Action
from kesu.core.errors import Conflict, InvalidInput, NotFound

router = Router(tags=["cases"])

# The detail as served: this app's, or a feature app's extension of it (settings).
CaseDetail: type[CaseDetailOut] = import_string(settings.KESU_CASE_DETAIL_SCHEMA)


def _lookup(model: type[Any], ref: Ref | None, *, field: str, key: str = "code") -> Any:
    """An active row by id (int) or natural key (str), else InvalidInput on `field`."""
    if ref is None or ref == "":
        return None
    lookup = {"pk": ref} if isinstance(ref, int) else {key: ref}
    row = model.objects.filter(is_active=True, **lookup).first()
    if row is None:
        raise InvalidInput(
            _("Nothing active matches “%(ref)s”.") % {"ref": ref}, field=field
        )
    return row


def _user(ref: Ref | None, *, field: str) -> Any:
    return _lookup(User, ref, field=field, key="username")


# The customer service names its own fields; the API names them as the client sent them.
_CUSTOMER_FIELDS = {"name", "phone", "email", "address"}


def _case_input(payload: CaseCreateIn) -> services.CaseInput:
    return services.CaseInput(
        channel=payload.channel.value,
        store=_lookup(Store, payload.store, field="store"),
        description=payload.description,
        customer_name=payload.customer_name,
        customer_phone=payload.customer_phone,
        customer_email=payload.customer_email,
        customer_address=payload.customer_address,
        received_at=payload.received_at,
        demand=payload.demand,
        product=_lookup(Product, payload.product, field="product"),
        product_model=payload.product_model,
        serial_number=payload.serial_number,
        purchased_on=payload.purchased_on,
        order_number=payload.order_number,
        category=_lookup(Category, payload.category, field="category"),
        subcategory=_lookup(Category, payload.subcategory, field="subcategory"),
        severity=payload.severity.value,
        impact_grade=payload.impact_grade.value,
        department=_lookup(Department, payload.department, field="department"),
        assignee=_user(payload.assignee, field="assignee"),
        extra_event_data={"via": "api"},
    )


@router.post("", auth=auth.write, response={201: CaseOut, **ERRORS})
def create_case(request: ApiRequest, payload: CaseCreateIn) -> HttpStatus[Any]:
    """Receive a complaint (staff); the token's user becomes its owner."""
    data = _case_input(payload)
    try:
        case = services.case_create(data=data, by=request.auth)
    except InvalidInput as exc:
        if exc.field in _CUSTOMER_FIELDS:
            exc.field = f"customer_{exc.field}"
        raise
    return HttpStatus(201, case_get(user=request.auth, number=case.number))


@router.get("", auth=auth.read, response={200: CasePage, **ERRORS})
def list_cases(request: ApiRequest, params: Query[CaseListQuery]) -> dict[str, Any]:
    """Cases in the caller's scope, filtered like the staff list, newest first."""
    filters = params.filters()
    cases = case_list(user=request.auth, filters=filters)
    start, count = params.start(), cases.count()  # exact: the API promises it
    text_search = case_search(user=request.auth, filters=filters)
    return {
        "count": count,
        "limit": params.limit,
        "offset": start,
        "items": case_rows(
            cases,
            start,
            start + params.limit,
            text_search=text_search,
            many=count > MANY_MATCHES,
        ),
    }


@router.get("/{number}", auth=auth.read, response={200: CaseDetail, **ERRORS})
def get_case(request: ApiRequest, number: str) -> Case:
    """One case with its timeline and plans; 404 when unknown or out of scope."""
    return case_get(user=request.auth, number=number)


def _refreshed(request: ApiRequest, case: Case) -> Case:
    return case_get(user=request.auth, number=case.number)


@router.post(
    "/{number}/actions/{action}", auth=auth.write, response={200: CaseOut, **ERRORS}
)
def act(
    request: ApiRequest, number: str, action: Action, payload: ActionIn | None = None
) -> Case:
    """Apply a workflow action; guard failures are 409 naming the guard."""
    case = case_get(user=request.auth, number=number)
    body = payload or ActionIn()
    case = services.case_transition(
        case=case,
        action=action.value,
        by=request.auth,
        reason=body.reason,
        resolution_note=body.resolution_note,
        customer_accepted=body.customer_accepted,
    )
    return _refreshed(request, case)


@router.post(
    "/{number}/verification", auth=auth.write, response={200: CaseOut, **ERRORS}
)
def record_verification(
    request: ApiRequest, number: str, payload: VerificationIn
) -> Case:
    """Record the verification result while the case is being verified."""
    case = case_get(user=request.auth, number=number)
    case = services.case_record_verification(
        case=case, result=payload.result.value, note=payload.note, by=request.auth
    )
    return _refreshed(request, case)


@router.post("/{number}/plans", auth=auth.write, response={201: PlanOut, **ERRORS})
def propose_plan(request: ApiRequest, number: str, payload: PlanIn) -> HttpStatus[Any]:
    """Propose the handling plan; compensation above the threshold awaits approval."""
    case = case_get(user=request.auth, number=number)
    plan = services.plan_propose(
        case=case,
        by=request.auth,
        resolution_type=payload.resolution_type.value,
        description=payload.description,
        compensation_amount=payload.compensation_amount,
        responsibility=payload.responsibility.value if payload.responsibility else "",
        responsible_employee=_user(
            payload.responsible_employee, field="responsible_employee"
        ),
    )
    return HttpStatus(201, plan)


@router.post(
    "/{number}/plans/{plan_id}/decision",
    auth=auth.write,
    response={200: PlanOut, **ERRORS},
)
def decide_plan(
    request: ApiRequest, number: str, plan_id: int, payload: DecisionIn
) -> Any:
    """A supervisor approves or refuses the compensation of the case's current plan."""
    case = case_get(user=request.auth, number=number)
    if not case.plans.filter(pk=plan_id).exists():
        raise NotFound(_("No plan %(id)s on this case.") % {"id": plan_id})
    plan = current_plan(case)
    if plan is None or plan.pk != plan_id:
        raise Conflict(
            _("Only the case's current plan can be decided."), code="plan_superseded"
        )
    return services.plan_decide(
        case=case, by=request.auth, approve=payload.approve, note=payload.note
    )


@router.post("/{number}/feedback", auth=auth.write, response={200: CaseOut, **ERRORS})
def record_feedback(request: ApiRequest, number: str, payload: FeedbackIn) -> Case:
    """Record the customer's reaction to the resolution."""
    case = case_get(user=request.auth, number=number)
    case = services.case_record_feedback(
        case=case, result=payload.result.value, note=payload.note, by=request.auth
    )
    return _refreshed(request, case)


@router.post("/{number}/assignment", auth=auth.write, response={200: CaseOut, **ERRORS})
def assign(request: ApiRequest, number: str, payload: AssignmentIn) -> Case:
    """Give the case to a department and handler (supervisors and managers)."""
    case = case_get(user=request.auth, number=number)
    case = services.case_assign(
        case=case,
        department=_lookup(Department, payload.department, field="department"),
        assignee=_user(payload.assignee, field="assignee"),
        by=request.auth,
    )
    return _refreshed(request, case)


@router.post("/{number}/handover", auth=auth.write, response={200: CaseOut, **ERRORS})
def hand_over(request: ApiRequest, number: str, payload: HandoverIn) -> Case:
    """Hand first-contact ownership to another user, with a reason."""
    case = case_get(user=request.auth, number=number)
    new_owner = _user(payload.new_owner, field="new_owner")
    case = services.case_handover(
        case=case, new_owner=new_owner, reason=payload.reason, by=request.auth
    )
    return _refreshed(request, case)


@router.post("/{number}/notes", auth=auth.write, response={201: CaseOut, **ERRORS})
def add_note(request: ApiRequest, number: str, payload: NoteIn) -> HttpStatus[Any]:
    """Add an internal note, or a reply the customer sees."""
    case = case_get(user=request.auth, number=number)
    services.note_add(
        case=case,
        by=request.auth,
        text=payload.text,
        is_customer_visible=payload.is_customer_visible,
    )
    return HttpStatus(201, _refreshed(request, case))


@router.post(
    "/{number}/communications", auth=auth.write, response={201: CaseOut, **ERRORS}
)
def log_communication(
    request: ApiRequest, number: str, payload: CommunicationIn
) -> HttpStatus[Any]:
    """Log a call, SMS, e-mail or visit with the customer."""
    case = case_get(user=request.auth, number=number)
    services.communication_log(
        case=case,
        by=request.auth,
        kind=payload.kind,
        summary=payload.summary,
        direction=payload.direction,
        template_id=payload.template_id,
    )
    return HttpStatus(201, _refreshed(request, case))


@router.post("/{number}/unmask", auth=auth.read, response={200: CustomerOut, **ERRORS})
def unmask(request: ApiRequest, number: str) -> dict[str, str]:
    """The customer's data in clear; every call is audited on the case timeline."""
    case = case_get(user=request.auth, number=number)
    return services.case_unmask(case=case, by=request.auth)
