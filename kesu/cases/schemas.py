"""The case API's schemas: what `/api/v1/cases` reads and writes (issue 2).

Feature apps extend the detail (`CaseDetailOut`); the one served is named by
`KESU_CASE_DETAIL_SCHEMA`, so the cases app never imports them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AwareDatetime, PlainSerializer

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import workflow
from kesu.cases.models import (
    Case,
    Channel,
    FeedbackResult,
    ImpactGrade,
    ResolutionType,
    Responsibility,
    Severity,
    VerificationResult,
)
from kesu.cases.selectors import CaseFilters, case_timeline
from kesu.cases.workflow import Status

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
