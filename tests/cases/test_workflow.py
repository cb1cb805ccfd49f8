"""R-WF-1: the transition table and its guards, exhaustively (pure, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesu.cases.workflow import (
    GUARDS,
    TRANSITIONS,
    Action,
    CaseFacts,
    GuardFailed,
    Status,
    TransitionNotAllowed,
    allowed_actions,
    next_status,
)

EXPECTED = {
    (Status.RECEIVED, Action.VERIFY): Status.VERIFYING,
    (Status.RECEIVED, Action.REJECT): Status.REJECTED,
    (Status.VERIFYING, Action.REJECT): Status.REJECTED,
    (Status.VERIFYING, Action.HANDLE): Status.HANDLING,
    (Status.VERIFYING, Action.AWAIT_CUSTOMER): Status.AWAITING_CUSTOMER,
    (Status.HANDLING, Action.AWAIT_CUSTOMER): Status.AWAITING_CUSTOMER,
    (Status.AWAITING_CUSTOMER, Action.RESUME): "previous",
    (Status.HANDLING, Action.RESOLVE): Status.FEEDBACK,
    (Status.FEEDBACK, Action.ARCHIVE): Status.ARCHIVED,
    (Status.FEEDBACK, Action.REOPEN): Status.REOPENED,
    (Status.ARCHIVED, Action.REOPEN): Status.REOPENED,
    (Status.REOPENED, Action.HANDLE): Status.HANDLING,
}

# Facts that satisfy every guard, so only the table decides.
PERMISSIVE = dict(
    reason="客户要求",
    has_verification_result=True,
    resolution_type="repair",
    has_feedback_result=True,
    status_before_wait=Status.HANDLING,
)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_and_action_is_allowed_or_refused_as_specified(status, action):
    facts = CaseFacts(status=status, **PERMISSIVE)
    expected = EXPECTED.get((status, action))

    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            next_status(facts, action)
    elif expected == "previous":
        assert next_status(facts, action) == Status.HANDLING
    else:
        assert next_status(facts, action) == expected


def test_table_has_exactly_the_specified_transitions():
    assert set(TRANSITIONS) == set(EXPECTED)


def test_resume_returns_to_verifying_when_it_waited_from_verifying():
    facts = CaseFacts(
        status=Status.AWAITING_CUSTOMER, status_before_wait=Status.VERIFYING
    )

    assert next_status(facts, Action.RESUME) == Status.VERIFYING


def test_allowed_actions_lists_table_actions_for_status():
    assert allowed_actions(Status.HANDLING) == [Action.AWAIT_CUSTOMER, Action.RESOLVE]
    assert allowed_actions(Status.REJECTED) == []


@pytest.mark.parametrize(
    "action", [Action.REJECT, Action.AWAIT_CUSTOMER, Action.REOPEN]
)
def test_steps_that_need_a_reason_refuse_blank_reason(action):
    source = next(s for (s, a) in TRANSITIONS if a == action)
    facts = CaseFacts(status=source, **{**PERMISSIVE, "reason": "   "})

    with pytest.raises(GuardFailed) as error:
        next_status(facts, action)

    assert error.value.code == "reason_required"


def test_handling_needs_a_verification_result():
    facts = CaseFacts(
        status=Status.VERIFYING, **{**PERMISSIVE, "has_verification_result": False}
    )

    with pytest.raises(GuardFailed) as error:
        next_status(facts, Action.HANDLE)

    assert error.value.code == "verification_required"


def test_reopened_case_goes_back_to_handling_without_new_verification():
    facts = CaseFacts(status=Status.REOPENED, has_verification_result=False)

    assert next_status(facts, Action.HANDLE) == Status.HANDLING


def test_no_feedback_without_a_resolution():
    facts = CaseFacts(status=Status.HANDLING, **{**PERMISSIVE, "resolution_type": ""})

    with pytest.raises(GuardFailed) as error:
        next_status(facts, Action.RESOLVE)

    assert error.value.code == "resolution_required"


def test_compensation_over_threshold_needs_approval_before_feedback():
    facts = CaseFacts(
        status=Status.HANDLING,
        **PERMISSIVE,
        compensation_amount=Decimal("800"),
        compensation_threshold=Decimal("500"),
        is_compensation_approved=False,
    )

    with pytest.raises(GuardFailed) as error:
        next_status(facts, Action.RESOLVE)

    assert error.value.code == "approval_required"


def test_approved_compensation_over_threshold_may_enter_feedback():
    facts = CaseFacts(
        status=Status.HANDLING,
        **PERMISSIVE,
        compensation_amount=Decimal("800"),
        compensation_threshold=Decimal("500"),
        is_compensation_approved=True,
    )

    assert next_status(facts, Action.RESOLVE) == Status.FEEDBACK


def test_compensation_at_threshold_needs_no_approval():
    facts = CaseFacts(
        status=Status.HANDLING,
        **PERMISSIVE,
        compensation_amount=Decimal("500"),
        compensation_threshold=Decimal("500"),
    )

    assert next_status(facts, Action.RESOLVE) == Status.FEEDBACK


def test_no_archive_without_feedback_result():
    facts = CaseFacts(
        status=Status.FEEDBACK, **{**PERMISSIVE, "has_feedback_result": False}
    )

    with pytest.raises(GuardFailed) as error:
        next_status(facts, Action.ARCHIVE)

    assert error.value.code == "feedback_required"


def test_every_guarded_action_is_in_the_table():
    actions_in_table = {action for (_status, action) in TRANSITIONS}

    assert set(GUARDS) <= actions_in_table
