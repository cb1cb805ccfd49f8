"""`kesu poll_mail`: poll the configured mailboxes now, or start their poll chains."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kesu.intake.mail.polling import mailbox_poll_leased
from kesu.intake.models import Mailbox
from kesu.intake.tasks import mail_polls_schedule


class Command(BaseCommand):
    help = (
        "Import new mail from the active mailboxes now, or with --schedule start "
        "(or restart) each mailbox's periodic poll in the task worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", help="only the mailbox with this name")
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue one self-renewing poll task per mailbox instead of polling",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_active=True)
        if options["mailbox"]:
            mailboxes = mailboxes.filter(name=options["mailbox"])
            if not mailboxes.exists():
                raise CommandError(f"no active mailbox named {options['mailbox']!r}")
        if options["schedule"]:
            with transaction.atomic():
                count = mail_polls_schedule(mailboxes)
            self.stdout.write(f"scheduled {count} mailbox poll(s)")
            return
        for mailbox in mailboxes:
            counts = mailbox_poll_leased(mailbox_id=mailbox.pk)
            if counts is None:
                self.stderr.write(f"{mailbox.name}: another poll is running")
                continue
            mailbox.refresh_from_db()
            summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            if mailbox.last_error:
                self.stderr.write(f"{mailbox.name}: {mailbox.last_error}")
            else:
                self.stdout.write(f"{mailbox.name}: {summary or 'nothing new'}")
