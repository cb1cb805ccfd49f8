"""Who hears about a deadline, and what they read (R-SLA-4). No customer data."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.cases.models import Case
from kesu.cases.notifications import mail_staff
from kesu.notifications.services import notify
from kesu.sla.models import TargetKind


def deadline_recipients(case: Case, checkpoint: str) -> list[User]:
    """Warnings go to the people doing the work; breaches and escalations go up."""
    workers = [u for u in (case.assignee, case.owner) if u is not None]
    if checkpoint.startswith("warning"):
        return workers
    supervisors = User.objects.filter(is_active=True, role=Role.SUPERVISOR)
    if case.department_id:
        supervisors = supervisors.filter(departments=case.department_id)
    if checkpoint in ("breach", "escalation:1"):
        return [*workers, *supervisors]
    return list(User.objects.filter(Q(is_active=True, role=Role.MANAGER)))


def deadline_notify(*, case: Case, kind: str, checkpoint: str, due_at: str = "") -> int:
    """Notify the people a passed checkpoint concerns: in the app and by e-mail.

    Idempotent in the app (one notification per person, checkpoint and due time), so
    a retried task adds nothing there.
    """
    with translation.override(settings.LANGUAGE_CODE):
        labels = {
            "warning": _("is approaching"),
            "breach": _("has been missed"),
            "escalation": _("was missed and is escalated"),
        }
        state = labels[checkpoint.split(":")[0]]
        subject = _("[Kesu] %(deadline)s deadline of %(number)s %(state)s") % {
            "deadline": TargetKind(kind).label,
            "number": case.number,
            "state": state,
        }
        body = _("Case %(number)s (%(severity)s): the %(deadline)s deadline %(state)s.")
        body %= {
            "number": case.number,
            "severity": case.get_severity_display(),
            "deadline": TargetKind(kind).label,
            "state": state,
        }
    recipients = deadline_recipients(case, checkpoint)
    notify(
        recipients=recipients,
        kind=f"deadline.{checkpoint.split(':')[0]}",
        title=lambda: _title(case, kind, checkpoint),
        key=f"deadline:{case.pk}:{kind}:{checkpoint}:{due_at}",
        case=case,
        url=reverse("cases:detail", args=[case.number]),
    )
    return mail_staff(recipients, subject, body)


def _title(case: Case, kind: str, checkpoint: str) -> str:
    """The notification's line, in the recipients' interface language."""
    stage = checkpoint.split(":")[0]
    deadline = TargetKind(kind).label
    if stage == "warning":
        return _("%(number)s: %(deadline)s deadline approaching") % {
            "number": case.number,
            "deadline": deadline,
        }
    if stage == "breach":
        return _("%(number)s: %(deadline)s deadline missed") % {
            "number": case.number,
            "deadline": deadline,
        }
    return _("%(number)s: missed %(deadline)s deadline escalated to you") % {
        "number": case.number,
        "deadline": deadline,
    }
