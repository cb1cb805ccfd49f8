"""E-mails to staff about work that needs them; never any customer personal data."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.cases.models import Case, HandlingPlan


def mail_staff(users: list[User], subject: str, body: str) -> int:
    """Send one e-mail to the active users among `users` that have an address."""
    recipients = sorted({u.email for u in users if u.email and u.is_active})
    if not recipients:
        return 0
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def assignment_notify(*, case: Case, assignee: User) -> int:
    """Tell the new assignee that a case is theirs to handle."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Kesu] Case %(number)s assigned to you") % {"number": case.number}
        body = _(
            "Case %(number)s (%(severity)s) is assigned to you. "
            "The first contact stays %(owner)s."
        ) % {
            "number": case.number,
            "severity": case.get_severity_display(),
            "owner": case.owner,
        }
    return mail_staff([assignee], subject, body)


def approval_request_notify(*, plan: HandlingPlan) -> int:
    """Ask the supervisors of the case's department to decide on a compensation."""
    case = plan.case
    approvers = User.objects.filter(is_active=True).filter(
        Q(role=Role.SUPERVISOR, departments=case.department_id) | Q(role=Role.MANAGER)
        if case.department_id
        else Q(role__in=[Role.SUPERVISOR, Role.MANAGER])
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _(
            "[Kesu] Compensation of %(amount)s awaits approval on %(number)s"
        ) % {
            "amount": plan.compensation_amount,
            "number": case.number,
        }
        body = _("%(proposer)s proposed: %(plan)s") % {
            "proposer": plan.proposed_by,
            "plan": plan.get_resolution_type_display(),
        }
    return mail_staff(list(approvers.exclude(pk=plan.proposed_by_id)), subject, body)
