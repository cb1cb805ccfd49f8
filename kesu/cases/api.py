"""Cases over JSON: the `/api/v1/cases` router and its schemas (issue 2).

Endpoints only parse, fetch the case in the caller's scope, call one service and render.
Customer data is masked in every response except `POST …/unmask`, which the service
audits. Times are ISO 8601 in UTC with an explicit offset (`+00:00`); each case names
its store's time zone for clients that show local time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import AwareDatetime, PlainSerializer

from kesu.accounts.models import Department, Store, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.api import auth
from kesu.api.auth import ApiRequest
from kesu.cases import services, workflow
from kesu.cases.models import (
    Case,
    Category,
    Channel,
    FeedbackResult,
    ImpactGrade,
    Product,
    ResolutionType,
    Responsibility,
    Severity,
    VerificationResult,
)
from kesu.cases.search import MANY_MATCHES
from kesu.cases.selectors import (
    CaseFilters,
    case_get,
    case_list,
    case_rows,
    case_search,
    case_timeline,
)
from kesu.cases.services.workflow import current_plan
from kesu.cases.workflow import Action, Status
from kesu.core.errors import Conflict, InvalidInput, NotFound
from kesu.triage.api import TriageOut
from kesu.triage.selectors import TriageSummary, case_triage_summary

router = Router(tags=["cases"])

MAX_PAGE_SIZE = 200


def _utc_iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


Timestamp = Annotated[dt.datetime, PlainSerializer(_utc_iso, return_type=str)]
# An id, or a code / username: `"category": 3` and `"category": "product_quality"`.
Ref = int | str


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None
    details: list[dict[str, Any]]


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {
    status: ErrorOut for status in (401, 403, 404, 409, 422)
}


class NamedRef(Schema):
    id: int
    code: str
    name: str
    name_en: str


class StoreRef(NamedRef):
    time_zone: str


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: User) -> str:
        return str(obj)


class MaskedCustomer(Schema):
    name: str = Field(..., alias="masked_name")
    phone: str = Field(..., alias="masked_phone")
    email: str = Field(..., alias="masked_email")
    address: str = Field(..., alias="masked_address")


class CustomerOut(Schema):
    """Customer data in clear: only the audited unmask endpoint returns it."""

    name: str
    phone: str
    email: str
    address: str


class CaseOut(Schema):
    number: str
    status: str
    channel: str
    received_at: Timestamp
    store: StoreRef
    customer: MaskedCustomer
    description: str
    demand: str
    product: int | None = Field(None, alias="product_id")
    product_model: str
    serial_number: str
    purchased_on: dt.date | None
    order_number: str
    category: NamedRef | None
    subcategory: NamedRef | None
    severity: str
    impact_grade: str
    department: NamedRef | None
    owner: UserRef
    assignee: UserRef | None
    rejection_reason: str
    verification_result: str
    verification_note: str
    resolution_type: str
    compensation_amount: Decimal
    responsibility: str
    resolution_note: str
    customer_accepted: bool | None
    resolved_at: Timestamp | None
    feedback_result: str
    feedback_note: str
    closed_at: Timestamp | None
    reopen_count: int
    status_changed_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp
    allowed_actions: list[str]

    @staticmethod
    def resolve_allowed_actions(obj: Case) -> list[str]:
        return [action.value for action in workflow.allowed_actions(Status(obj.status))]


class EventOut(Schema):
    id: int
    type: str
    created_at: Timestamp
    actor: UserRef | None
    visibility: str
    message: str
    data: dict[str, Any]


class PlanOut(Schema):
    id: int
    resolution_type: str
    compensation_amount: Decimal
    description: str
    responsibility: str
    responsible_employee: UserRef | None
    proposed_by: UserRef
    proposed_at: Timestamp
    approval_status: str
    decided_by: UserRef | None
    decided_at: Timestamp | None
    decision_note: str


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    plans: list[PlanOut]
    triage: TriageOut | None  # null: no automatic triage, or not the caller's to see

    @staticmethod
    def resolve_events(obj: Case, context: dict[str, Any]) -> list[Any]:
        return list(case_timeline(case=obj, user=context["request"].auth))

    @staticmethod
    def resolve_plans(obj: Case, context: dict[str, Any]) -> list[Any]:
        # Plans carry compensation amounts and blame: internal, like internal events.
        if not has_capability(context["request"].auth, Capability.CASE_SEE_INTERNAL):
            return []
        return list(
            obj.plans.select_related(
                "responsible_employee", "proposed_by", "decided_by"
            )
        )

    @staticmethod
    def resolve_triage(obj: Case, context: dict[str, Any]) -> TriageSummary | None:
        return case_triage_summary(case=obj, user=context["request"].auth)


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class CaseListQuery(Schema):
    status: list[Status] | None = None
    category: int | None = None
    severity: Severity | None = None
    department: int | None = None
    store: int | None = None
    assignee: int | None = None
    owner: int | None = None
    channel: Channel | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    q: str = Field("", max_length=200, description="Full-text search (Chinese too).")
    limit: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(0, ge=0)
    page: int | None = Field(None, ge=1, description="1-based; overrides offset.")

    def filters(self) -> CaseFilters:
        return CaseFilters(
            status=[s.value for s in self.status] if self.status else None,
            category=self.category,
            severity=self.severity.value if self.severity else "",
            department=self.department,
            store=self.store,
            assignee=self.assignee,
            owner=self.owner,
            channel=self.channel.value if self.channel else "",
            received_from=self.received_from,
            received_to=self.received_to,
            text=self.q,
        )

    def start(self) -> int:
        return (self.page - 1) * self.limit if self.page else self.offset


class CaseCreateIn(Schema):
    store: str = Field(..., description="Store code.")
    description: str
    channel: Channel = Channel.API
    customer_name: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    customer_address: str = ""
    received_at: AwareDatetime | None = None
    demand: str = ""
    product: int | None = Field(None, description="Product id.")
    product_model: str = ""
    serial_number: str = ""
    purchased_on: dt.date | None = None
    order_number: str = ""
    category: Ref | None = Field(None, description="Category id or code.")
    subcategory: Ref | None = Field(None, description="Sub-category id or code.")
    severity: Severity = Severity.GENERAL
    impact_grade: ImpactGrade = ImpactGrade.C
    department: Ref | None = Field(None, description="Department id or code.")
    assignee: Ref | None = Field(None, description="User id or username.")


class ActionIn(Schema):
    reason: str = ""
    resolution_note: str = ""
    customer_accepted: bool | None = None


class VerificationIn(Schema):
    result: VerificationResult
    note: str = ""


class FeedbackIn(Schema):
    result: FeedbackResult
    note: str = ""


class PlanIn(Schema):
    resolution_type: ResolutionType
    description: str
    compensation_amount: Decimal = Field(Decimal(0), ge=0, decimal_places=2)
    responsibility: Responsibility | None = None
    responsible_employee: Ref | None = Field(None, description="User id or username.")


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class AssignmentIn(Schema):
    department: Ref | None = Field(None, description="Department id or code.")
    assignee: Ref | None = Field(None, description="User id or username.")


class HandoverIn(Schema):
    new_owner: Ref = Field(..., description="User id or username.")
    reason: str


class NoteIn(Schema):
    text: str
    is_customer_visible: bool = False


class CommunicationIn(Schema):
    kind: str = Field(..., description="call, sms, email or visit.")
    summary: str
    direction: str = "outbound"
    template_id: int | None = None


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


@router.get("/{number}", auth=auth.read, response={200: CaseDetailOut, **ERRORS})
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
