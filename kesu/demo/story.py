"""One case's life, step by step, recorded the way the case services record it."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    CollaborationStatus,
    FeedbackResult,
    ResolutionType,
    Responsibility,
    VerificationResult,
    Visibility,
)
from kesu.cases.services.work import PII_FIELDS
from kesu.cases.services.workflow import compensation_threshold
from kesu.cases.workflow import Action, Status
from kesu.demo import texts
from kesu.demo.complaint import fill_complaint
from kesu.demo.records import (
    PlannedCase,
    PlannedEvent,
    PlannedPlan,
    PlannedRequest,
    Refs,
)
from kesu.demo.tables import (
    CATEGORY_WEIGHTS,
    RESOLUTIONS,
    RESPONSIBILITY,
    ROUTING,
)


class Story:
    """One case's life up to its final status, told the way the services record it."""

    def __init__(
        self,
        rng: random.Random,
        refs: Refs,
        store: Store,
        anchor: dt.datetime,
        status: Status,
        age_days: float,
        customer_index: int,
    ) -> None:
        self.rng, self.refs, self.store, self.anchor = rng, refs, store, anchor
        self.final, self.age_days = status, age_days
        self.minute = 0.0
        self.events: list[PlannedEvent] = []
        self.plans: list[PlannedPlan] = []
        self.requests: list[PlannedRequest] = []
        self.marks: dict[str, float] = {}
        top = rng.choices(
            list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values())
        )[0]
        self.top = refs.categories[top]
        self.sub = rng.choice(
            [c for c in refs.categories.values() if c.parent_id == self.top.pk]
        )
        self.case = Case(store=store, status=Status.RECEIVED)
        self.customer_index = customer_index
        self.owner = rng.choice(refs.agents_for(store))
        department_code = ROUTING[top]
        self.department = refs.departments[department_code]
        self.assignee = rng.choice(refs.staff(Role.HANDLER, department_code))
        self.supervisor = rng.choice(
            refs.staff(Role.SUPERVISOR, department_code) or refs.staff(Role.SUPERVISOR)
        )

    # -- the plot ---------------------------------------------------------------

    def build(self) -> PlannedCase:
        complaint = fill_complaint(
            self.case,
            rng=self.rng,
            refs=self.refs,
            category=self.top,
            subcategory=self.sub,
            anchor=self.anchor,
            age_days=self.age_days,
        )
        self.price, self.initial_severity = complaint
        self._receive()
        final = self.final
        if final in {Status.RECEIVED, Status.REJECTED}:
            self.initial_severity = self.case.severity
        if final == Status.RECEIVED:
            if self.rng.random() < 0.4:
                self._assign()
            self._early_contact()
        elif final == Status.REJECTED:
            self._rejected()
        else:
            self._worked(final)
        return self._finish()

    def _rejected(self) -> None:
        if self.rng.random() < 0.5:
            self._assign()
            self._transition(Action.VERIFY, Status.VERIFYING, self.assignee, 1, 24)
            self._verify(VerificationResult.NOT_CONFIRMED, 2, 48)
            by = self.assignee
        else:
            by = self.owner
        reason = self.rng.choice(texts.REJECT_REASONS)
        self.case.rejection_reason = reason
        self._transition(Action.REJECT, Status.REJECTED, by, 0.5, 24, reason)

    def _worked(self, final: Status) -> None:
        rng = self.rng
        self._assign()
        self._maybe_hand_over()
        self._maybe_reclassify()
        self._transition(Action.VERIFY, Status.VERIFYING, self.assignee, 0.5, 24)
        self._maybe_communicate()
        if final == Status.VERIFYING:
            if rng.random() < 0.5:
                self._verify(self._verification_result(), 2, 48)
            return
        if final == Status.AWAITING_CUSTOMER and rng.random() < 0.4:
            self._await()
            return
        if rng.random() < 0.15:
            self._await()
            self._resume()
        self._verify(self._verification_result(), 2, 72)
        self._transition(Action.HANDLE, Status.HANDLING, self.assignee, 0.2, 8)
        is_open = final in {Status.HANDLING, Status.AWAITING_CUSTOMER}
        if rng.random() < 0.12:
            self._collaborate(answered=not is_open or rng.random() < 0.5)
        if is_open:
            if rng.random() < 0.6:
                self._propose(settle=rng.random() < 0.6)
            self._maybe_note()
            if final == Status.AWAITING_CUSTOMER:
                self._await()
            return
        self._settle_and_resolve()
        self._after_resolution(final)

    def _after_resolution(self, final: Status) -> None:
        rng = self.rng
        if final == Status.FEEDBACK:
            if rng.random() < 0.4:
                self._feedback(FeedbackResult.SATISFIED)
            return
        if final == Status.REOPENED or rng.random() < 0.08:
            self._reopen_cycle(stop=final == Status.REOPENED)
            if final == Status.REOPENED:
                return
        result = rng.choices(
            [
                FeedbackResult.SATISFIED,
                FeedbackResult.PARTLY_SATISFIED,
                FeedbackResult.UNREACHABLE,
            ],
            weights=[0.7, 0.2, 0.1],
        )[0]
        self._feedback(result)
        self._transition(Action.ARCHIVE, Status.ARCHIVED, self.owner, 0.5, 24)

    def _reopen_cycle(self, *, stop: bool) -> None:
        rng = self.rng
        reason = rng.choice(texts.REOPEN_REASONS)
        if stop and rng.random() < 0.4:
            # Archived, then the customer came back days later.
            self._feedback(FeedbackResult.SATISFIED)
            self._transition(Action.ARCHIVE, Status.ARCHIVED, self.owner, 0.5, 24)
            self._transition(
                Action.REOPEN, Status.REOPENED, self.owner, 48, 480, reason
            )
        else:
            self._feedback(FeedbackResult.DISSATISFIED)
            self._transition(
                Action.REOPEN, Status.REOPENED, self.owner, 0.5, 24, reason
            )
        if stop:
            return
        self._transition(Action.HANDLE, Status.HANDLING, self.assignee, 1, 24)
        self._settle_and_resolve()

    def _settle_and_resolve(self) -> None:
        self._propose(settle=True)
        self._maybe_communicate()
        self._maybe_note()
        self._transition(
            Action.RESOLVE,
            Status.FEEDBACK,
            self.assignee,
            12,
            120,
            resolution_note=self.rng.choice(texts.RESOLUTION_NOTES),
        )

    # -- steps, each mirroring one service --------------------------------------

    def _advance(self, low_hours: float, high_hours: float) -> float:
        self.minute += self.rng.uniform(low_hours, high_hours) * 60
        return self.minute

    def _event(self, type_: str, actor: User | None, **kwargs: Any) -> PlannedEvent:
        event = PlannedEvent(self.minute, type_, actor, **kwargs)
        self.events.append(event)
        return event

    def _receive(self) -> None:
        case = self.case
        self._event(
            "case.received",
            self.owner,
            data={"channel": case.channel, "severity": self.initial_severity},
            message="",  # filled with the number once it is known
            visibility=Visibility.CUSTOMER,
        )

    def _assign(self) -> None:
        self._advance(0.2, 4)
        self.case.department, self.case.assignee = self.department, self.assignee
        self._event(
            "case.assigned",
            self.supervisor,
            data={
                "from": {"department": None, "assignee": None},
                "to": {"department": self.department.pk, "assignee": self.assignee.pk},
            },
        )

    def _maybe_hand_over(self) -> None:
        others = [u for u in self.refs.agents_for(self.store) if u != self.owner]
        if self.rng.random() >= 0.03 or not others:
            return
        self._advance(1, 24)
        new_owner = self.rng.choice(others)
        self._event(
            "case.handed_over",
            self.owner,
            data={"from": self.owner.pk, "to": new_owner.pk},
            message=self.rng.choice(texts.HANDOVER_REASONS),
        )
        self.owner = new_owner

    def _collaborate(self, *, answered: bool) -> None:
        self._advance(1, 24)
        code = self.rng.choice(
            [c for c in texts.COLLABORATION_REQUESTS if c != self.department.code]
        )
        item = PlannedRequest(
            self.minute,
            self.refs.departments[code],
            self.rng.choice(texts.COLLABORATION_REQUESTS[code]),
            self.assignee,
        )
        self.requests.append(item)
        self._event(
            "collaboration.requested",
            self.assignee,
            data={"request": None, "department": item.department.pk, "due_at": None},
            message=item.request,
            ref=("request", len(self.requests) - 1),
        )
        if not answered:
            return
        self._advance(2, 40)
        done = self.rng.random() < 0.85
        item.status = CollaborationStatus.DONE if done else CollaborationStatus.DECLINED
        item.response = self.rng.choice(
            texts.COLLABORATION_DONE if done else texts.COLLABORATION_DECLINED
        )
        helpers = self.refs.staff(Role.HANDLER, code) or self.refs.staff(
            Role.SUPERVISOR
        )
        item.answered_by = self.rng.choice(helpers)
        item.answered_minute = self.minute
        self._event(
            "collaboration.answered",
            item.answered_by,
            data={"request": None, "status": item.status},
            message=item.response,
            ref=("request", len(self.requests) - 1),
        )

    def _maybe_reclassify(self) -> None:
        if self.initial_severity == self.case.severity:
            return
        self._advance(0.1, 2)
        before = self._classification(self.initial_severity)
        self._event(
            "case.classified",
            self.assignee,
            data={"from": before, "to": self._classification(self.case.severity)},
        )

    def _classification(self, severity: str) -> dict[str, Any]:
        return {
            "category_id": self.top.pk,
            "subcategory_id": self.sub.pk,
            "severity": severity,
            "impact_grade": self.case.impact_grade,
        }

    def _transition(
        self,
        action: Action,
        target: Status,
        by: User,
        low: float,
        high: float,
        reason: str = "",
        resolution_note: str = "",
    ) -> None:
        self._advance(low, high)
        case = self.case
        source = Status(case.status)
        if action == Action.AWAIT_CUSTOMER:
            case.status_before_wait = case.status
        elif action == Action.RESUME:
            case.status_before_wait = ""
        elif action == Action.RESOLVE:
            self._apply_plan(resolution_note)
        elif action == Action.REOPEN:
            case.reopen_count += 1
            case.feedback_result = ""
            self.marks.pop("closed_at", None)
        if target in {Status.ARCHIVED, Status.REJECTED}:
            self.marks["closed_at"] = self.minute
        case.status = target
        self.marks["status_changed_at"] = self.minute
        self._event(
            "case.transitioned",
            by,
            data={"action": action.value, "from": source.value, "to": target.value},
            message=reason,
            visibility=Visibility.CUSTOMER if target != source else Visibility.INTERNAL,
        )

    def _apply_plan(self, resolution_note: str) -> None:
        plan = self.plans[-1]
        case = self.case
        case.resolution_type = plan.resolution_type
        case.compensation_amount = plan.amount
        case.responsibility = plan.responsibility
        case.responsible_employee = plan.responsible_employee
        case.resolution_note = resolution_note
        case.customer_accepted = self.rng.random() < 0.9
        self.marks["resolved_at"] = self.minute

    def _await(self) -> None:
        reason = self.rng.choice(texts.WAIT_REASONS)
        self._transition(
            Action.AWAIT_CUSTOMER,
            Status.AWAITING_CUSTOMER,
            self.assignee,
            1,
            24,
            reason,
        )

    def _resume(self) -> None:
        target = Status(self.case.status_before_wait)
        self._transition(Action.RESUME, target, self.assignee, 12, 96)

    def _verification_result(self) -> str:
        return self.rng.choices(
            [VerificationResult.CONFIRMED, VerificationResult.PARTLY_CONFIRMED],
            weights=[0.75, 0.25],
        )[0]

    def _verify(self, result: str, low: float, high: float) -> None:
        self._advance(low, high)
        note = self.rng.choice(texts.VERIFICATION_NOTES[result])
        self.case.verification_result, self.case.verification_note = result, note
        self._event(
            "case.verified", self.assignee, data={"result": result}, message=note
        )

    def _propose(self, *, settle: bool) -> None:
        """Propose a plan; `settle` takes it to a state where the case may resolve."""
        threshold = compensation_threshold()
        resolution = self.rng.choice(RESOLUTIONS[self.top.code])
        amount = self._amount(resolution)
        if amount > threshold and self.rng.random() < 0.2:
            # A refused first offer, then a cheaper one the handler may settle alone.
            plan = self._plan(resolution, amount, 4, 72)
            self._decide(plan, approve=False)
            resolution = ResolutionType.COMPENSATION_COUPON
            amount = Decimal(self.rng.randrange(10, 50) * 10).quantize(Decimal("0.01"))
        plan = self._plan(resolution, amount, 1, 72)
        if plan.approval_status == ApprovalStatus.PENDING and settle:
            self._decide(plan, approve=True)

    def _amount(self, resolution: str) -> Decimal:
        price = self.price
        rng = self.rng
        value = {
            "return_refund": price,
            "partial_refund": price * rng.uniform(0.05, 0.3),
            "compensation_coupon": rng.randrange(5, 60) * 10,
            "compensation_cash": rng.randrange(10, 300) * 10,
        }.get(resolution, 0)
        return Decimal(round(value)).quantize(Decimal("0.01"))

    def _plan(
        self, resolution: str, amount: Decimal, low: float, high: float
    ) -> PlannedPlan:
        self._advance(low, high)
        responsibility = self.rng.choice(RESPONSIBILITY[self.top.code])
        employee = (
            self.rng.choice(self.refs.staff(Role.AGENT) + self.refs.staff(Role.HANDLER))
            if responsibility == Responsibility.EMPLOYEE
            else None
        )
        description = self.rng.choice(texts.PLANS[resolution]).format(
            days=self.rng.randrange(1, 4), amount=f"{amount:.0f}"
        )
        needs_approval = amount > compensation_threshold()
        plan = PlannedPlan(
            minute=self.minute,
            resolution_type=resolution,
            amount=amount,
            description=description,
            responsibility=responsibility,
            responsible_employee=employee,
            proposed_by=self.assignee,
            approval_status=ApprovalStatus.PENDING
            if needs_approval
            else ApprovalStatus.NOT_REQUIRED,
        )
        self.plans.append(plan)
        self._event(
            "plan.proposed",
            self.assignee,
            data={
                "plan": None,
                "resolution_type": resolution,
                "compensation_amount": str(amount),
                "responsibility": responsibility,
                "needs_approval": needs_approval,
            },
            message=description,
            ref=("plan", len(self.plans) - 1),
        )
        return plan

    def _decide(self, plan: PlannedPlan, *, approve: bool) -> None:
        self._advance(1, 24)
        approvers = [
            u
            for u in self.refs.staff(Role.SUPERVISOR) + self.refs.staff(Role.MANAGER)
            if u != plan.proposed_by
        ]
        by = self.supervisor if self.supervisor in approvers else approvers[0]
        if self.rng.random() < 0.15:
            by = self.rng.choice(approvers)
        note = self.rng.choice(texts.APPROVAL_NOTES if approve else texts.REFUSAL_NOTES)
        plan.approval_status = (
            ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
        )
        plan.decided_by, plan.decided_minute, plan.decision_note = (
            by,
            self.minute,
            note,
        )
        self._event(
            "plan.approved" if approve else "plan.refused",
            by,
            data={"plan": None, "compensation_amount": str(plan.amount)},
            message=note,
            ref=("plan", len(self.plans) - 1),
        )

    def _feedback(self, result: str) -> None:
        # The 72-hour follow-up call is the first contact's job (首问负责).
        self._advance(24, 96)
        note = self.rng.choice(texts.FEEDBACK_NOTES[result])
        self.case.feedback_result, self.case.feedback_note = result, note
        self._event(
            "feedback.recorded", self.owner, data={"result": result}, message=note
        )

    def _early_contact(self) -> None:
        if self.rng.random() < 0.4:
            self._communicate(self.owner, 0.1, 6)

    def _maybe_communicate(self) -> None:
        if self.rng.random() < 0.6:
            self._communicate(self.rng.choice([self.owner, self.assignee]), 0.2, 24)

    def _communicate(self, by: User, low: float, high: float) -> None:
        self._advance(low, high)
        if by != self.owner and self.rng.random() < 0.3:
            # Handlers reveal the phone number before calling; the reveal is audited.
            self._event(
                "pii.unmasked",
                by,
                data={"customer": None, "fields": list(PII_FIELDS)},
                ref=("customer", 0),
            )
            self._advance(0.01, 0.1)
        kind, direction, summary = self.rng.choice(texts.COMMUNICATIONS)
        self._event(
            "communication.logged",
            by,
            data={"kind": kind, "direction": direction, "template": None},
            message=summary,
        )

    def _maybe_note(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            self._advance(0.5, 12)
            self._event(
                "note.added", self.assignee, message=self.rng.choice(texts.NOTES)
            )
        elif roll < 0.35:
            self._advance(0.5, 12)
            self._event(
                "reply.sent",
                self.assignee,
                message=self.rng.choice(texts.REPLIES),
                visibility=Visibility.CUSTOMER,
            )

    # -- from minutes to timestamps ---------------------------------------------

    def _finish(self) -> PlannedCase:
        case = self.case
        available = (self.anchor - case.received_at).total_seconds() / 60 - 1
        # Squeeze the story into the time between receipt and "now".
        scale = min(1.0, available / self.minute) if self.minute else 1.0

        def at(minute: float) -> dt.datetime:
            return case.received_at + dt.timedelta(minutes=minute * scale)

        for position, event in enumerate(self.events):
            # Strictly increasing timestamps even where the squeeze is tight.
            event.minute = event.minute * scale + position / 1000
        case.created_at = case.received_at
        case.updated_at = at(self.minute) + dt.timedelta(
            minutes=len(self.events) / 1000
        )
        case.status_changed_at = at(self.marks.get("status_changed_at", 0))
        case.resolved_at = (
            at(self.marks["resolved_at"]) if "resolved_at" in self.marks else None
        )
        case.closed_at = (
            at(self.marks["closed_at"]) if "closed_at" in self.marks else None
        )
        case.owner = self.owner
        for plan in self.plans:
            plan.minute *= scale
            if plan.decided_minute is not None:
                plan.decided_minute *= scale
        for item in self.requests:
            item.minute *= scale
            if item.answered_minute is not None:
                item.answered_minute *= scale
        return PlannedCase(
            case, self.customer_index, self.events, self.plans, self.requests
        )
