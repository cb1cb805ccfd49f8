"""The acknowledgement mail a customer gets when a complaint arrives (R-IN-3).

Each mail carries a Message-ID of ours, recorded (SentMail) with an event on the case
once the mail server took it, so a reply that only quotes the ID in In-Reply-To or
References (kesu.intake.backends.mail.thread_case) still lands on the case.
"""

from __future__ import annotations

import email.utils
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import DNS_NAME, EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.cases.models import Case, Visibility
from kesu.cases.services import event_append
from kesu.intake.models import SentMail
from kesu.intake.selectors import first_response_due

logger = logging.getLogger(__name__)

KIND = "acknowledgement"


def acknowledgement_send(*, case: Case) -> int:
    """Mail the customer the case number and the promised response time (R-IN-3)."""
    address = case.customer.email
    if not address:
        return 0
    message_id = email.utils.make_msgid(domain=_sender_domain())
    message = EmailMessage(
        _("Complaint %(number)s received") % {"number": case.number},
        _body(case),
        None,
        [address],
        headers={"Message-ID": message_id},
    )
    try:
        sent = message.send()
    except OSError:
        # The case exists and the page showed its number; a mail server outage must
        # not turn a received complaint into an error. The address is not logged.
        logger.exception("acknowledgement mail for %s failed", case.number)
        return 0
    if sent:
        acknowledgement_record(case=case, message_id=message_id)
    return sent


@transaction.atomic
def acknowledgement_record(*, case: Case, message_id: str) -> SentMail:
    """Keep the sent acknowledgement's Message-ID and note it on the timeline."""
    sent = SentMail.objects.create(case=case, message_id=message_id, kind=KIND)
    event_append(
        case=case,
        type="acknowledgement.sent",
        actor=None,
        data={"message_id": message_id},
        message=_("Acknowledgement with the case number e-mailed to the customer."),
        visibility=Visibility.CUSTOMER,
    )
    return sent


def _body(case: Case) -> str:
    lines = [
        _("We have received your complaint. Your case number is %(number)s.")
        % {"number": case.number},
    ]
    due = first_response_due(case)
    if due is not None:
        local = timezone.localtime(due, timezone=ZoneInfo(case.store.time_zone))
        lines.append(
            _("We will contact you by %(due)s.")
            % {"due": local.strftime("%Y-%m-%d %H:%M")}
        )
    lines.append(_("Please quote the case number when you contact us."))
    return "\n\n".join(lines)


def _sender_domain() -> str:
    """The domain of our From address: replies come back to it, so IDs stay ours."""
    _name, address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    domain = address.rpartition("@")[2]
    return domain or str(DNS_NAME)
