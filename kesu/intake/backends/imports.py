"""Bulk import of platform reviews, social posts and legacy records: `import`/`social`.

The runner (kesu.intake.imports.runner) reads and checks each row; this backend turns
a good row into a Submission. The case keeps the preset's channel; the platform, the
job and the row number go into the intake record's source, never personal data.
"""

from __future__ import annotations

from typing import Any

from kesu.cases.models import Channel, Customer
from kesu.intake.backends.base import ChannelBackend
from kesu.intake.imports.mapping import ParsedRow
from kesu.intake.models import ImportJob
from kesu.intake.services import Receipt, Submission


class ImportBackend(ChannelBackend):
    """Receives one checked row of an import job."""

    name = "import"
    channel = Channel.IMPORT

    def receive_row(self, row: ParsedRow, *, job: ImportJob) -> Receipt:
        """One case per row; a row imported before returns its first case."""
        submission = self.row_submission(row, job=job)
        if submission.customer is not None:
            submission.customer.save()
        return self.receive(submission)

    def row_submission(self, row: ParsedRow, *, job: ImportJob) -> Submission:
        """The row as a submission; a customer it names only by handle is unsaved."""
        fields: dict[str, Any] = dict(row.fields)
        customer = None
        if not fields.get("customer_phone") and not fields.get("customer_email"):
            # A platform review names a user handle, not a way to reach them: the
            # case gets its own customer record holding the handle as the name.
            customer = Customer(name=fields.get("customer_name", ""))
        return self.submission(
            channel=job.preset.channel,
            external_id=row.external_id,
            customer=customer,
            # Nobody to acknowledge: the customer wrote to the platform, not us.
            acknowledge=False,
            source={
                "platform": job.preset.platform,
                "preset": job.preset.name,
                "job": job.pk,
                "row": row.number,
            },
            **fields,
        )
