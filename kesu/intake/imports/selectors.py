"""Reads for the import pages: the jobs a user may see, and a file's first rows."""

from __future__ import annotations

from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.core.errors import NotFound
from kesu.intake.imports.readers import table_open
from kesu.intake.models import ImportJob

SAMPLE_ROWS = 5


def import_job_list(*, user: User) -> QuerySet[ImportJob]:
    """The user's own jobs; everyone's for roles that see all cases."""
    jobs = ImportJob.objects.select_related("preset", "store", "created_by")
    if has_capability(user, Capability.CASE_SEE_ALL):
        return jobs
    # Bad-row reasons can describe what a row says; they stay with their uploader.
    return jobs.filter(created_by=user)


def import_job_get(*, user: User, pk: int) -> ImportJob:
    """One job in the user's view; NotFound outside it."""
    job = import_job_list(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


def import_job_sample(job: ImportJob) -> tuple[list[str], list[list[Any]]]:
    """The file's headers and first rows, for choosing the mapping."""
    with job.file.open("rb") as binary:
        table = table_open(binary, job.original_name)
        rows = [
            [values.get(header) for header in table.headers]
            for _number, values in islice(table.rows(), SAMPLE_ROWS)
        ]
    return table.headers, rows
