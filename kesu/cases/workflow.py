"""The case workflow: statuses, actions, the transition table and its guards (R-WF-1).

Pure Python: no ORM, no I/O. `kesu.cases.services.case_transition` is the one place that
applies this table to a stored case; nothing else assigns `Case.status`.

    received 受理 → verifying 核实 → handling 处理 → feedback 反馈 → archived 归档
    verifying/handling ⇄ awaiting_customer (returns to where it was)
    received/verifying → rejected (invalid or duplicate, with a reason)
    feedback/archived → reopened → handling (customer not satisfied)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kesu.core.errors import Conflict


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Verifying")
    HANDLING = "handling", _("Handling")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    FEEDBACK = "feedback", _("Feedback")
    ARCHIVED = "archived", _("Archived")
    REJECTED = "rejected", _("Rejected")
    REOPENED = "reopened", _("Reopened")


class Action(models.TextChoices):
    VERIFY = "verify", _("Start verification")
    REJECT = "reject", _("Reject")
    HANDLE = "handle", _("Start handling")
    AWAIT_CUSTOMER = "await_customer", _("Wait for customer")
    RESUME = "resume", _("Customer replied")
    RESOLVE = "resolve", _("Resolve and give feedback")
    ARCHIVE = "archive", _("Archive")
    REOPEN = "reopen", _("Reopen")


class _Previous(StrEnum):
    """Target of RESUME: the status the case had before it waited on the customer."""

    STATUS = "previous"


PREVIOUS = _Previous.STATUS

TRANSITIONS: dict[tuple[Status, Action], Status | _Previous] = {
    (Status.RECEIVED, Action.VERIFY): Status.VERIFYING,
    (Status.RECEIVED, Action.REJECT): Status.REJECTED,
    (Status.VERIFYING, Action.REJECT): Status.REJECTED,
    (Status.VERIFYING, Action.HANDLE): Status.HANDLING,
    (Status.VERIFYING, Action.AWAIT_CUSTOMER): Status.AWAITING_CUSTOMER,
    (Status.HANDLING, Action.AWAIT_CUSTOMER): Status.AWAITING_CUSTOMER,
    (Status.AWAITING_CUSTOMER, Action.RESUME): PREVIOUS,
    (Status.HANDLING, Action.RESOLVE): Status.FEEDBACK,
    (Status.FEEDBACK, Action.ARCHIVE): Status.ARCHIVED,
    (Status.FEEDBACK, Action.REOPEN): Status.REOPENED,
    (Status.ARCHIVED, Action.REOPEN): Status.REOPENED,
    (Status.REOPENED, Action.HANDLE): Status.HANDLING,
}

CLOSED_STATES = frozenset({Status.ARCHIVED, Status.REJECTED})
OPEN_STATES = frozenset(set(Status) - CLOSED_STATES)
# Where a handling plan may be proposed or changed.
PLANNING_STATES = frozenset(
    {Status.VERIFYING, Status.HANDLING, Status.AWAITING_CUSTOMER, Status.REOPENED}
)


@dataclass(frozen=True)
class CaseFacts:
    """What the guards need to know about a case, read by the service."""

    status: Status
    status_before_wait: Status | None = None
    reason: str = ""
    has_verification_result: bool = False
    resolution_type: str = ""
    compensation_amount: Decimal = Decimal(0)
    compensation_threshold: Decimal = Decimal(500)
    is_compensation_approved: bool = False
    has_feedback_result: bool = False


@dataclass(frozen=True)
class Guard:
    code: str
    message: str | Promise
    check: Callable[[CaseFacts], bool]


def _needs_approval(facts: CaseFacts) -> bool:
    return facts.compensation_amount > facts.compensation_threshold


REASON_GIVEN = Guard(
    "reason_required",
    _("Give a reason for this step."),
    lambda f: bool(f.reason.strip()),
)
# R-IN-4: authenticity is checked before any handling.
VERIFICATION_RECORDED = Guard(
    "verification_required",
    _("Record the verification result before handling starts."),
    lambda f: f.status != Status.VERIFYING or f.has_verification_result,
)
HAS_RESOLUTION = Guard(
    "resolution_required",
    _("Propose a handling plan with a resolution type before giving feedback."),
    lambda f: bool(f.resolution_type),
)
COMPENSATION_APPROVED = Guard(
    "approval_required",
    _("The compensation exceeds the approval threshold: a supervisor must approve it."),
    lambda f: not _needs_approval(f) or f.is_compensation_approved,
)
HAS_FEEDBACK_RESULT = Guard(
    "feedback_required",
    _("Record the customer's feedback result before archiving."),
    lambda f: f.has_feedback_result,
)

GUARDS: dict[Action, tuple[Guard, ...]] = {
    Action.REJECT: (REASON_GIVEN,),
    Action.HANDLE: (VERIFICATION_RECORDED,),
    Action.AWAIT_CUSTOMER: (REASON_GIVEN,),
    Action.RESOLVE: (HAS_RESOLUTION, COMPENSATION_APPROVED),
    Action.ARCHIVE: (HAS_FEEDBACK_RESULT,),
    Action.REOPEN: (REASON_GIVEN,),
}


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class GuardFailed(Conflict):
    code = "guard_failed"


def allowed_actions(status: Status) -> list[Action]:
    """Actions the table allows from a status, in order (guards not checked)."""
    return [action for (source, action) in TRANSITIONS if source == status]


def failed_guards(facts: CaseFacts, action: Action) -> list[Guard]:
    """The guards of `action` that the facts do not satisfy."""
    return [guard for guard in GUARDS.get(action, ()) if not guard.check(facts)]


def needs_compensation_approval(facts: CaseFacts) -> bool:
    """Whether the plan's compensation is above the threshold (R-WF-2)."""
    return _needs_approval(facts)


def next_status(facts: CaseFacts, action: Action) -> Status:
    """The status after `action`, or a Conflict naming the refusal."""
    target = TRANSITIONS.get((facts.status, action))
    if target is None:
        raise TransitionNotAllowed(
            str(
                _("“%(action)s” is not possible while the case is %(status)s.")
                % {"action": action.label, "status": facts.status.label}
            )
        )
    failed = failed_guards(facts, action)
    if failed:
        raise GuardFailed(str(failed[0].message), code=failed[0].code)
    if target is PREVIOUS:
        if facts.status_before_wait is None:
            raise TransitionNotAllowed(str(_("The status before waiting is unknown.")))
        return facts.status_before_wait
    assert isinstance(target, Status)  # noqa: S101 - narrows the union for the type checker
    return target
