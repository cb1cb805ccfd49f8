"""The bad rows of a job as CSV (row, column, reason), for Excel users to fix."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.utils.translation import gettext as _

from kesu.intake.models import ImportJob


class _Echo:
    def write(self, value: str) -> str:
        return value


def error_csv_lines(job: ImportJob) -> Iterator[str]:
    """The job's row errors as CSV lines, UTF-8 BOM first so Excel reads Chinese."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([_("Row"), _("Column"), _("Reason")])
    rows = job.errors.order_by("row_number", "pk").values_list(
        "row_number", "column", "reason"
    )
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow(row)
