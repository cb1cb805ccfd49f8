"""Moving a case through its workflow; the only code that assigns `Case.status`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import workflow
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    FeedbackResult,
    HandlingPlan,
    VerificationResult,
)
from kesu.cases.services.events import event_append
from kesu.cases.workflow import Action, CaseFacts, Status
from kesu.core.errors import Conflict, InvalidInput, PermissionDenied


def lock_case(case: Case) -> Case:
    """Re-read the case with its row locked for the rest of the transaction."""
    return Case.objects.select_for_update().get(pk=case.pk)


def current_plan(case: Case) -> HandlingPlan | None:
    return case.plans.order_by("-proposed_at", "-id").first()


def compensation_threshold() -> Decimal:
    return Decimal(settings.KESU_COMPENSATION_APPROVAL_THRESHOLD)


def case_facts(case: Case, *, reason: str = "") -> CaseFacts:
    """The facts the workflow guards judge, read from the case and its current plan."""
    plan = current_plan(case)
    return CaseFacts(
        status=Status(case.status),
        status_before_wait=Status(case.status_before_wait)
        if case.status_before_wait
        else None,
        reason=reason,
        has_verification_result=bool(case.verification_result),
        resolution_type=plan.resolution_type if plan else "",
        compensation_amount=plan.compensation_amount if plan else Decimal(0),
        compensation_threshold=compensation_threshold(),
        is_compensation_approved=bool(
            plan and plan.approval_status == ApprovalStatus.APPROVED
        ),
        has_feedback_result=bool(case.feedback_result),
    )


def _require_work(by: User) -> None:
    if not has_capability(by, Capability.CASE_WORK):
        raise PermissionDenied(_("Your role cannot work on cases."))


def _apply_side_fields(case: Case, action: Action, target: Status, reason: str) -> None:
    now = timezone.now()
    if action == Action.AWAIT_CUSTOMER:
        case.status_before_wait = case.status
    elif action == Action.RESUME:
        case.status_before_wait = ""
    elif action == Action.REJECT:
        case.rejection_reason = reason.strip()
    elif action == Action.RESOLVE:
        plan = current_plan(case)
        assert plan is not None  # noqa: S101 - the HAS_RESOLUTION guard ensured it
        case.resolution_type = plan.resolution_type
        case.compensation_amount = plan.compensation_amount
        case.responsibility = plan.responsibility
        case.responsible_employee = plan.responsible_employee
        case.resolved_at = now
    elif action == Action.REOPEN:
        case.reopen_count += 1
        case.feedback_result = ""
        case.closed_at = None
    if target in workflow.CLOSED_STATES:
        case.closed_at = now


@transaction.atomic
def case_transition(
    *,
    case: Case,
    action: str,
    by: User,
    reason: str = "",
    resolution_note: str = "",
    customer_accepted: bool | None = None,
) -> Case:
    """Apply one workflow action: lock, check guards, change status, append event."""
    _require_work(by)
    try:
        chosen = Action(action)
    except ValueError as exc:
        raise InvalidInput(
            _("Unknown action: %(a)s") % {"a": action}, field="action"
        ) from exc
    case = lock_case(case)
    source = Status(case.status)
    target = workflow.next_status(case_facts(case, reason=reason), chosen)
    _apply_side_fields(case, chosen, target, reason)
    if chosen == Action.RESOLVE:
        case.resolution_note = resolution_note.strip()
        case.customer_accepted = customer_accepted
    case.status = target
    case.status_changed_at = timezone.now()
    case.updated_at = case.status_changed_at
    case.save()
    event_append(
        case=case,
        type="case.transitioned",
        actor=by,
        data={"action": chosen.value, "from": source.value, "to": target.value},
        message=reason.strip(),
        visibility="customer" if target != source else "internal",
    )
    return case


@transaction.atomic
def case_record_verification(*, case: Case, result: str, note: str, by: User) -> Case:
    """Record whether the complaint is confirmed (R-IN-4); allowed while verifying."""
    _require_work(by)
    if result not in VerificationResult.values:
        raise InvalidInput(_("Choose a verification result."), field="result")
    case = lock_case(case)
    if case.status not in {Status.VERIFYING, Status.AWAITING_CUSTOMER}:
        raise Conflict(_("Verification is recorded while the case is being verified."))
    case.verification_result = result
    case.verification_note = note.strip()
    case.save(update_fields=["verification_result", "verification_note", "updated_at"])
    event_append(
        case=case,
        type="case.verified",
        actor=by,
        data={"result": result},
        message=note.strip(),
    )
    return case


@transaction.atomic
def case_record_feedback(*, case: Case, result: str, note: str, by: User) -> Case:
    """Record the customer's reaction to the resolution, in the feedback stage."""
    _require_work(by)
    if result not in FeedbackResult.values:
        raise InvalidInput(_("Choose a feedback result."), field="result")
    case = lock_case(case)
    if case.status != Status.FEEDBACK:
        raise Conflict(
            _("Feedback is recorded while the case is in the feedback stage.")
        )
    case.feedback_result = result
    case.feedback_note = note.strip()
    case.save(update_fields=["feedback_result", "feedback_note", "updated_at"])
    event_append(
        case=case,
        type="feedback.recorded",
        actor=by,
        data={"result": result},
        message=note.strip(),
    )
    return case
