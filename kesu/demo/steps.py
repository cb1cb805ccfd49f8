"""The steps of a demo case's life, each recorded as one case service records it."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import (
    ApprovalStatus,
    Case,
    CollaborationStatus,
    ResolutionType,
    Responsibility,
    Visibility,
)
from kesu.cases.services.work import PII_FIELDS
from kesu.cases.services.workflow import compensation_threshold
from kesu.cases.workflow import Action, Status
from kesu.demo import texts
from kesu.demo.records import PlannedEvent, PlannedPlan, PlannedRequest, Refs
from kesu.demo.tables import CATEGORY_WEIGHTS, RESPONSIBILITY, ROUTING


class CaseSteps:
    """A case being worked: its events, plans and requests, in story minutes.

    Minutes count from receipt. `tempo` shortens the working steps of a case with a
    short resolution target (an urgent case is handled within hours, not days).
    """

    def __init__(self, rng: random.Random, refs: Refs, store: Store) -> None:
        self.rng, self.refs, self.store = rng, refs, store
        self.minute = 0.0
        self.tempo = 1.0
        self.events: list[PlannedEvent] = []
        self.plans: list[PlannedPlan] = []
        self.requests: list[PlannedRequest] = []
        self.marks: dict[str, float] = {}
        self.pauses: list[tuple[float, float]] = []  # of the resolution clock
        top = rng.choices(
            list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values())
        )[0]
        self.top = refs.categories[top]
        self.sub = rng.choice(
            [c for c in refs.categories.values() if c.parent_id == self.top.pk]
        )
        self.case = Case(store=store, status=Status.RECEIVED)
        self.owner = rng.choice(refs.agents_for(store))
        department_code = ROUTING[top]
        self.department = refs.departments[department_code]
        self.assignee = rng.choice(refs.staff(Role.HANDLER, department_code))
        self.supervisor = rng.choice(
            refs.staff(Role.SUPERVISOR, department_code) or refs.staff(Role.SUPERVISOR)
        )
        self.price = 0
        self.initial_severity = ""
        self.resolution = ""  # the plan the case is heading for, drawn with its pace

    def _advance(self, low_hours: float, high_hours: float) -> float:
        self.minute += self.rng.uniform(low_hours, high_hours) * 60 * self.tempo
        return self.minute

    def _event(self, type_: str, actor: User | None, **kwargs: Any) -> PlannedEvent:
        event = PlannedEvent(self.minute, type_, actor, **kwargs)
        self.events.append(event)
        return event

    def _receive(self) -> None:
        self._event(
            "case.received",
            self.owner,
            data={"channel": self.case.channel, "severity": self.initial_severity},
            message="",  # filled with the number once it is known
            visibility=Visibility.CUSTOMER,
        )

    def _assign(self) -> None:
        self._advance(0.1, 2)
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
        self._advance(0.5, 8)
        new_owner = self.rng.choice(others)
        self._event(
            "case.handed_over",
            self.owner,
            data={"from": self.owner.pk, "to": new_owner.pk},
            message=self.rng.choice(texts.HANDOVER_REASONS),
        )
        self.owner = new_owner

    def _collaborate(self, *, answered: bool) -> None:
        self._advance(0.5, 6)
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
        self._advance(1, 24)
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
        self._advance(0.1, 1)
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
        self._record_transition(action, target, by, reason, resolution_note)

    def _record_transition(
        self,
        action: Action,
        target: Status,
        by: User,
        reason: str = "",
        resolution_note: str = "",
    ) -> None:
        case = self.case
        source = Status(case.status)
        if action == Action.AWAIT_CUSTOMER:
            case.status_before_wait = case.status
            self.pauses.append((self.minute, self.minute))
        elif action == Action.RESUME:
            case.status_before_wait = ""
            self.pauses[-1] = (self.pauses[-1][0], self.minute)
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

    def _verify(self, result: str, low: float, high: float) -> None:
        self._advance(low, high)
        note = self.rng.choice(texts.VERIFICATION_NOTES[result])
        self.case.verification_result, self.case.verification_note = result, note
        self._event(
            "case.verified", self.assignee, data={"result": result}, message=note
        )

    def _propose(self, *, settle: bool, at: float | None = None) -> None:
        """Propose a plan (at minute `at`, or soon); `settle` makes it resolvable."""
        threshold = compensation_threshold()
        resolution = self.resolution
        amount = self._amount(resolution)
        if amount > threshold and self.rng.random() < 0.2:
            # A refused first offer, then a cheaper one the handler may settle alone.
            plan = self._plan(resolution, amount, at)
            self._decide(plan, approve=False)
            resolution = ResolutionType.COMPENSATION_COUPON
            amount = Decimal(self.rng.randrange(10, 50) * 10).quantize(Decimal("0.01"))
            at = None
        plan = self._plan(resolution, amount, at)
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

    def _plan(self, resolution: str, amount: Decimal, at: float | None) -> PlannedPlan:
        if at is None:
            self._advance(0.5, 8)
        else:
            self.minute = max(self.minute, at)
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
        self._advance(0.5, 8)
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

    def _record_feedback(self, result: str) -> None:
        note = self.rng.choice(texts.FEEDBACK_NOTES[result])
        self.case.feedback_result, self.case.feedback_note = result, note
        self._event(
            "feedback.recorded", self.owner, data={"result": result}, message=note
        )

    def _maybe_communicate(self) -> None:
        if self.rng.random() < 0.6:
            by = self.rng.choice([self.owner, self.assignee])
            self._advance(0.2, 8)
            self._communicate(by, texts.COMMUNICATIONS)

    def _communicate(self, by: User, choices: list[tuple[str, str, str]]) -> None:
        if by != self.owner and self.rng.random() < 0.3:
            # Handlers reveal the phone number before calling; the reveal is audited.
            self._event(
                "pii.unmasked",
                by,
                data={"customer": None, "fields": list(PII_FIELDS)},
                ref=("customer", 0),
            )
            self._advance(0.01, 0.1)
        kind, direction, summary = self.rng.choice(choices)
        self._event(
            "communication.logged",
            by,
            data={"kind": kind, "direction": direction, "template": None},
            message=summary,
        )

    def _maybe_note(self) -> None:
        roll = self.rng.random()
        if roll < 0.2:
            self._advance(0.5, 8)
            self._event(
                "note.added", self.assignee, message=self.rng.choice(texts.NOTES)
            )
        elif roll < 0.35:
            self._advance(0.5, 8)
            self._event(
                "reply.sent",
                self.assignee,
                message=self.rng.choice(texts.REPLIES),
                visibility=Visibility.CUSTOMER,
            )
