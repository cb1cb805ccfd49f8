"""Background work for intake, run by the task worker (`kesu db_worker`).

Schedules: an import job runs once, when started or resumed. Each active mailbox
has one poll chain: django-tasks has no periodic scheduler, so `poll_mailbox`
enqueues its own next run (`run_after` = now + the mailbox's `poll_seconds`) before
it polls, and a poll that crashes does not end the chain. `mail_polls_schedule`
starts a chain with a fresh token; a run carrying an older token ends its chain, so
there is never more than one chain per mailbox.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends

from kesu.intake.imports.runner import import_job_run
from kesu.intake.mail.polling import mailbox_poll_leased
from kesu.intake.models import Mailbox

logger = logging.getLogger(__name__)


@task()
def import_job_task(job_id: int) -> int:
    """Run (or resume) an import job; the rows it has done so far."""
    return import_job_run(job_id).processed_rows


@task()
def poll_mailbox(mailbox_id: int, chain: str) -> dict[str, int] | None:
    """Poll one mailbox, after enqueueing the chain's next run."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
    if (
        mailbox is None
        or mailbox.poll_chain is None
        or str(mailbox.poll_chain) != chain
    ):
        return {}
    backend = task_backends[poll_mailbox.backend]
    if backend.supports_defer:
        run_after = timezone.now() + dt.timedelta(seconds=mailbox.poll_seconds)
        poll_mailbox.using(run_after=run_after).enqueue(mailbox_id, chain)
    else:
        # The immediate backend (tests, no worker) would recurse instead of waiting.
        logger.info("task backend cannot defer; mailbox %s polled once", mailbox)
    return mailbox_poll_leased(mailbox_id=mailbox_id)


def mail_polls_schedule(mailboxes: Iterable[Mailbox]) -> int:
    """Start one poll chain per active mailbox, replacing any chain it had."""
    started = 0
    for mailbox in mailboxes:
        if not mailbox.is_active:
            continue
        chain = uuid.uuid4()
        Mailbox.objects.filter(pk=mailbox.pk).update(poll_chain=chain)
        mailbox.poll_chain = chain
        transaction.on_commit(partial(poll_mailbox.enqueue, mailbox.pk, str(chain)))
        started += 1
    return started
