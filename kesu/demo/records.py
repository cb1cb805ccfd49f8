"""What the planner produces before anything is written: cases, plans, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kesu.accounts.models import Department, Role, Store, User
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    Category,
    CollaborationRequest,
    CollaborationStatus,
    HandlingPlan,
    Product,
    Visibility,
)
from kesu.demo import texts
from kesu.demo.users import STAFF
from kesu.sla.calendar import BusinessCalendar
from kesu.sla.policies import TargetRule


@dataclass
class Refs:
    """The reference rows cases point to."""

    stores: list[Store]
    departments: dict[str, Department]
    products: list[tuple[Product, texts.ProductSpec]]
    users: dict[str, User]
    categories: dict[str, Category]
    # What the deadline clocks will run against, so stories can keep to it.
    rules: list[TargetRule] = field(default_factory=list)
    calendars: dict[int, BusinessCalendar] = field(default_factory=dict)  # by store

    def agents_for(self, store: Store) -> list[User]:
        """The agents who receive complaints for this store."""
        return [
            self.users[u.username]
            for u in STAFF
            if u.role == Role.AGENT and store.code in u.stores
        ]

    def staff(self, role: str, department: str | None = None) -> list[User]:
        return [
            self.users[u.username]
            for u in STAFF
            if u.role == role and (department is None or department in u.departments)
        ]


@dataclass
class PlannedEvent:
    minute: float
    type: str
    actor: User | None
    data: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    visibility: str = Visibility.INTERNAL
    # A row written later whose id goes into data[ref]: ("plan", 0), ("request", 1)…
    ref: tuple[str, int] | None = None


@dataclass
class PlannedPlan:
    minute: float
    resolution_type: str
    amount: Decimal
    description: str
    responsibility: str
    responsible_employee: User | None
    proposed_by: User
    approval_status: str = ApprovalStatus.NOT_REQUIRED
    decided_by: User | None = None
    decided_minute: float | None = None
    decision_note: str = ""


@dataclass
class PlannedRequest:
    minute: float
    department: Department
    request: str
    requested_by: User
    status: str = CollaborationStatus.OPEN
    response: str = ""
    answered_by: User | None = None
    answered_minute: float | None = None


@dataclass
class PlannedCase:
    case: Case
    customer_index: int
    events: list[PlannedEvent] = field(default_factory=list)
    plans: list[PlannedPlan] = field(default_factory=list)
    requests: list[PlannedRequest] = field(default_factory=list)
    plan_rows: list[HandlingPlan] = field(default_factory=list)
    request_rows: list[CollaborationRequest] = field(default_factory=list)


@dataclass
class PlannedCustomer:
    name: str
    phone: str
    email: str
    address: str
