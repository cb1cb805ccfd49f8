"""Work on a case besides its status: assignment, plans, collaboration, notes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import tasks, workflow
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    Category,
    CollaborationRequest,
    CollaborationStatus,
    HandlingPlan,
    ImpactGrade,
    ResolutionType,
    Responsibility,
    Severity,
    Visibility,
)
from kesu.cases.services.events import event_append
from kesu.cases.services.workflow import compensation_threshold, current_plan, lock_case
from kesu.core.errors import Conflict, InvalidInput, PermissionDenied

COMMUNICATION_KINDS = ("call", "sms", "email", "visit")
PII_FIELDS = ("name", "phone", "email", "address")


def _require(by: User, capability: Capability, message: str) -> None:
    if not has_capability(by, capability):
        raise PermissionDenied(message)


def _require_open(case: Case) -> None:
    if case.status in workflow.CLOSED_STATES:
        raise Conflict(_("The case is closed; reopen it first."))


@transaction.atomic
def case_assign(
    *, case: Case, department: Department | None, assignee: User | None, by: User
) -> Case:
    """Give the work to a department and handler; the owner stays (R-CL-4)."""
    _require(
        by, Capability.CASE_ASSIGN, _("Only supervisors and managers assign cases.")
    )
    return _assign(case=case, department=department, assignee=assignee, actor=by)


@transaction.atomic
def case_assign_by_system(
    *,
    case: Case,
    department: Department | None,
    assignee: User | None,
    data: dict[str, object] | None = None,
) -> Case:
    """Assign as the system (automatic routing): no actor; `data` says why."""
    return _assign(
        case=case, department=department, assignee=assignee, actor=None, data=data
    )


def _assign(
    *,
    case: Case,
    department: Department | None,
    assignee: User | None,
    actor: User | None,
    data: dict[str, object] | None = None,
) -> Case:
    case = lock_case(case)
    _require_open(case)
    if (
        assignee
        and department
        and not assignee.departments.filter(pk=department.pk).exists()
    ):
        raise InvalidInput(
            _("The assignee is not a member of that department."), field="assignee"
        )
    before = {"department": case.department_id, "assignee": case.assignee_id}
    case.department = department
    case.assignee = assignee
    case.save(update_fields=["department", "assignee", "updated_at"])
    if assignee and assignee.pk != before["assignee"]:
        case_id, user_id = case.pk, assignee.pk
        transaction.on_commit(lambda: tasks.notify_assignee.enqueue(case_id, user_id))
    event_append(
        case=case,
        type="case.assigned",
        actor=actor,
        data={
            "from": before,
            "to": {"department": case.department_id, "assignee": case.assignee_id},
            **(data or {}),
        },
    )
    return case


@transaction.atomic
def case_handover(*, case: Case, new_owner: User, reason: str, by: User) -> Case:
    """Hand first-contact ownership to another user, with a reason, audited."""
    case = lock_case(case)
    is_owner = case.owner_id == by.pk and has_capability(by, Capability.CASE_WORK)
    if not (is_owner or has_capability(by, Capability.CASE_HANDOVER)):
        raise PermissionDenied(
            _("Only the owner or a supervisor can hand the case over.")
        )
    if not reason.strip():
        raise InvalidInput(_("Give a reason for the handover."), field="reason")
    if not new_owner.is_active or not has_capability(new_owner, Capability.CASE_WORK):
        raise InvalidInput(_("The new owner cannot work on cases."), field="new_owner")
    if new_owner.pk == case.owner_id:
        raise InvalidInput(_("That user already owns the case."), field="new_owner")
    previous = case.owner_id
    case.owner = new_owner
    case.save(update_fields=["owner", "updated_at"])
    event_append(
        case=case,
        type="case.handed_over",
        actor=by,
        data={"from": previous, "to": new_owner.pk},
        message=reason.strip(),
    )
    return case


@transaction.atomic
def case_classify(
    *,
    case: Case,
    by: User,
    category: Category | None,
    subcategory: Category | None,
    severity: str,
    impact_grade: str,
) -> Case:
    """Set category, sub-category, severity and impact grade (R-CL-1, R-CL-2)."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    return _classify(
        case=case,
        actor=by,
        category=category,
        subcategory=subcategory,
        severity=severity,
        impact_grade=impact_grade,
    )


@transaction.atomic
def case_classify_by_system(
    *,
    case: Case,
    category: Category | None,
    subcategory: Category | None,
    severity: str,
    impact_grade: str,
    data: dict[str, object] | None = None,
) -> Case:
    """Classify as the system (automatic triage): no actor; `data` says why."""
    return _classify(
        case=case,
        actor=None,
        category=category,
        subcategory=subcategory,
        severity=severity,
        impact_grade=impact_grade,
        data=data,
    )


def _classify(
    *,
    case: Case,
    actor: User | None,
    category: Category | None,
    subcategory: Category | None,
    severity: str,
    impact_grade: str,
    data: dict[str, object] | None = None,
) -> Case:
    if severity not in Severity.values:
        raise InvalidInput(_("Choose a valid severity."), field="severity")
    if impact_grade not in ImpactGrade.values:
        raise InvalidInput(_("Choose a valid impact grade."), field="impact_grade")
    if category and category.parent_id is not None:
        raise InvalidInput(_("Choose a top-level category."), field="category")
    if subcategory and (not category or subcategory.parent_id != category.pk):
        raise InvalidInput(
            _("The sub-category does not belong to the category."), field="subcategory"
        )
    case = lock_case(case)
    _require_open(case)
    fields = ("category_id", "subcategory_id", "severity", "impact_grade")
    before = {name: getattr(case, name) for name in fields}
    case.category, case.subcategory = category, subcategory
    case.severity, case.impact_grade = severity, impact_grade
    after = {name: getattr(case, name) for name in fields}
    if after == before:
        return case
    case.save(
        update_fields=[
            "category",
            "subcategory",
            "severity",
            "impact_grade",
            "updated_at",
        ]
    )
    event_append(
        case=case,
        type="case.classified",
        actor=actor,
        data={"from": before, "to": after, **(data or {})},
    )
    return case


@transaction.atomic
def case_unmask(*, case: Case, by: User) -> dict[str, str]:
    """Reveal one case's customer data; every reveal is audited (R-SEC-2)."""
    _require(by, Capability.PII_UNMASK, _("Your role cannot reveal personal data."))
    customer = case.customer
    event_append(
        case=case,
        type="pii.unmasked",
        actor=by,
        data={"customer": customer.pk, "fields": list(PII_FIELDS)},
    )
    return {name: getattr(customer, name) for name in PII_FIELDS}


def _amount(raw: Decimal | str | int | float) -> Decimal:
    try:
        amount = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(_("Enter an amount."), field="compensation_amount") from exc
    if amount < 0 or amount >= Decimal("100000000"):
        raise InvalidInput(
            _("Enter an amount between 0 and 99,999,999."), field="compensation_amount"
        )
    return amount


@transaction.atomic
def plan_propose(
    *,
    case: Case,
    by: User,
    resolution_type: str,
    description: str,
    compensation_amount: Decimal | str | int = 0,
    responsibility: str = "",
    responsible_employee: User | None = None,
) -> HandlingPlan:
    """Propose the handling plan (R-WF-2/4/5); large compensation awaits approval."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    if resolution_type not in ResolutionType.values:
        raise InvalidInput(_("Choose a resolution type."), field="resolution_type")
    if responsibility and responsibility not in Responsibility.values:
        raise InvalidInput(_("Choose a valid responsibility."), field="responsibility")
    if responsibility == Responsibility.EMPLOYEE and responsible_employee is None:
        raise InvalidInput(
            _("Name the responsible employee."), field="responsible_employee"
        )
    if not description.strip():
        raise InvalidInput(_("Describe the plan."), field="description")
    amount = _amount(compensation_amount)
    case = lock_case(case)
    if case.status not in workflow.PLANNING_STATES:
        raise Conflict(
            _("A plan can be proposed while the case is verified or handled.")
        )
    needs_approval = amount > compensation_threshold()
    plan = HandlingPlan.objects.create(
        case=case,
        resolution_type=resolution_type,
        compensation_amount=amount,
        description=description.strip(),
        responsibility=responsibility,
        responsible_employee=responsible_employee
        if responsibility == "employee"
        else None,
        proposed_by=by,
        approval_status=ApprovalStatus.PENDING
        if needs_approval
        else ApprovalStatus.NOT_REQUIRED,
    )
    if needs_approval:
        transaction.on_commit(lambda: tasks.notify_approvers.enqueue(plan.pk))
    event_append(
        case=case,
        type="plan.proposed",
        actor=by,
        data={
            "plan": plan.pk,
            "resolution_type": resolution_type,
            "compensation_amount": str(amount),
            "responsibility": responsibility,
            "needs_approval": needs_approval,
        },
        message=plan.description,
    )
    return plan


@transaction.atomic
def plan_decide(*, case: Case, by: User, approve: bool, note: str = "") -> HandlingPlan:
    """A supervisor approves or refuses the pending compensation of the current plan."""
    _require(
        by,
        Capability.CASE_APPROVE_COMPENSATION,
        _("Only supervisors approve compensation."),
    )
    case = lock_case(case)
    plan = current_plan(case)
    if plan is None or plan.approval_status != ApprovalStatus.PENDING:
        raise Conflict(_("No plan is waiting for approval."))
    if plan.proposed_by_id == by.pk:
        raise PermissionDenied(_("You cannot approve your own plan."))
    if not approve and not note.strip():
        raise InvalidInput(_("Say why the plan is refused."), field="note")
    plan.approval_status = (
        ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    )
    plan.decided_by, plan.decided_at, plan.decision_note = (
        by,
        timezone.now(),
        note.strip(),
    )
    plan.save(
        update_fields=["approval_status", "decided_by", "decided_at", "decision_note"]
    )
    event_append(
        case=case,
        type="plan.approved" if approve else "plan.refused",
        actor=by,
        data={"plan": plan.pk, "compensation_amount": str(plan.compensation_amount)},
        message=note.strip(),
    )
    return plan


@transaction.atomic
def collaboration_request(
    *, case: Case, by: User, department: Department, request: str, due_at: dt.datetime
) -> CollaborationRequest:
    """Ask another department for help with its own deadline (R-WF-3)."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    if not request.strip():
        raise InvalidInput(_("Say what you need."), field="request")
    if due_at <= timezone.now():
        raise InvalidInput(_("The due time must lie in the future."), field="due_at")
    case = lock_case(case)
    _require_open(case)
    item = CollaborationRequest.objects.create(
        case=case,
        department=department,
        request=request.strip(),
        due_at=due_at,
        requested_by=by,
    )
    event_append(
        case=case,
        type="collaboration.requested",
        actor=by,
        data={
            "request": item.pk,
            "department": department.pk,
            "due_at": due_at.isoformat(),
        },
        message=item.request,
    )
    return item


@transaction.atomic
def collaboration_answer(
    *, item: CollaborationRequest, by: User, response: str, done: bool = True
) -> CollaborationRequest:
    """The helping department answers: done, or declined with a reason."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    if not response.strip():
        raise InvalidInput(_("Write the answer."), field="response")
    item = CollaborationRequest.objects.select_for_update().get(pk=item.pk)
    is_helper = by.departments.filter(pk=item.department_id).exists()
    if not (is_helper or has_capability(by, Capability.CASE_ASSIGN)):
        raise PermissionDenied(
            _("Only the department that was asked, or a supervisor, can answer.")
        )
    if item.status != CollaborationStatus.OPEN:
        raise Conflict(_("This request is already answered."))
    item.status = CollaborationStatus.DONE if done else CollaborationStatus.DECLINED
    item.response, item.answered_by, item.answered_at = (
        response.strip(),
        by,
        timezone.now(),
    )
    item.save(update_fields=["status", "response", "answered_by", "answered_at"])
    event_append(
        case=item.case,
        type="collaboration.answered",
        actor=by,
        data={"request": item.pk, "status": item.status},
        message=item.response,
    )
    return item


@transaction.atomic
def note_add(
    *, case: Case, by: User, text: str, is_customer_visible: bool = False
) -> Case:
    """An internal note, or a reply the customer can see on their status page."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    if not text.strip():
        raise InvalidInput(_("Write the note."), field="text")
    event_append(
        case=case,
        type="reply.sent" if is_customer_visible else "note.added",
        actor=by,
        message=text.strip(),
        visibility=Visibility.CUSTOMER if is_customer_visible else Visibility.INTERNAL,
    )
    return case


@transaction.atomic
def communication_log(
    *,
    case: Case,
    by: User,
    kind: str,
    summary: str,
    direction: str = "outbound",
    template_id: int | None = None,
) -> Case:
    """Log a call, SMS, e-mail or visit with the customer (R-WF-6)."""
    _require(by, Capability.CASE_WORK, _("Your role cannot work on cases."))
    if kind not in COMMUNICATION_KINDS:
        raise InvalidInput(_("Choose call, SMS, e-mail or visit."), field="kind")
    if direction not in {"inbound", "outbound"}:
        raise InvalidInput(_("Choose inbound or outbound."), field="direction")
    if not summary.strip():
        raise InvalidInput(_("Summarise the conversation."), field="summary")
    event_append(
        case=case,
        type="communication.logged",
        actor=by,
        data={"kind": kind, "direction": direction, "template": template_id},
        message=summary.strip(),
    )
    return case
