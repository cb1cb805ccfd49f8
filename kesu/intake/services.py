"""The one door every channel uses: `intake_receive(submission=…)` (R-IN-1, R-IN-5).

A channel backend (kesu/intake/backends/) turns what arrived — a form post, an API
body, a mail, an import row — into a `Submission` and calls `intake_receive`. This
service validates it, picks the first-contact owner, creates the case with its
attachments in one transaction and records the submission so that a retry returns
the same case instead of a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import filetype
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Store, User
from kesu.cases.models import Case, Channel, Customer, Product
from kesu.cases.services import CaseInput, PreparedCase, case_prepare, case_write
from kesu.cases.services.intake import cases_write_many
from kesu.core.bulk import instances_insert
from kesu.core.errors import Conflict, InvalidInput
from kesu.core.tasks import tasks_collected
from kesu.intake.acknowledgement import acknowledgement_send
from kesu.intake.models import IntakeRecord
from kesu.intake.selectors import FirstContactPicker, first_contact_owner
from kesu.sla.models import Clock
from kesu.sla.services import (
    clocks_for_new_case,
    clocks_prepared,
    clocks_prepared_many,
    reads_shared,
)

MAX_KEY_LENGTH = 200
_CUSTOMER_FIELDS = {"name", "phone", "email", "address"}

# Evidence customers send: photos, PDF receipts, recordings. Checked by content (magic
# bytes), never by the name or the type the client claims.
ALLOWED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/avif",
        "image/bmp",
        "image/tiff",
        "application/pdf",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/x-wav",
        "audio/x-flac",
        "audio/amr",
    }
)


@dataclass
class Submission:
    """A complaint as a channel received it, before it is a case (R-IN-2)."""

    channel: str
    backend: str
    store: Store | None
    description: str
    customer_name: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    customer_address: str = ""
    demand: str = ""
    product: Product | None = None
    product_model: str = ""
    serial_number: str = ""
    purchased_on: dt.date | None = None
    order_number: str = ""
    received_at: dt.datetime | None = None
    attachments: list[UploadedFile[bytes]] = field(default_factory=list)
    # Idempotency: the channel's own id for the item, and/or a client-chosen key that
    # the backend has already namespaced (e.g. per API user).
    external_id: str = ""
    idempotency_key: str = ""
    # Where it came from (client, token id, user agent); never personal data.
    source: dict[str, Any] = field(default_factory=dict)
    # Send the customer the acknowledgement mail (R-IN-3) when an address is given.
    acknowledge: bool = True
    # A customer the backend already found or made (an imported review names a
    # platform user but no phone or e-mail); None: found or made from the fields above.
    customer: Customer | None = None


@dataclass(frozen=True)
class Receipt:
    """The case a submission made, and whether this call made it (False: a replay)."""

    case: Case
    created: bool


def submission_fingerprint(submission: Submission) -> str:
    """SHA-256 over what the complaint says, attachments by content, not by wrapping.

    Computed from parsed fields rather than the raw body, so a retry that encodes the
    same complaint differently (key order, multipart boundary) still matches.
    """
    digest = hashlib.sha256()
    fields = {
        "channel": submission.channel,
        "external_id": submission.external_id,
        "store": submission.store.pk if submission.store else None,
        "description": submission.description.strip(),
        "customer_name": submission.customer_name.strip(),
        "customer_phone": submission.customer_phone.strip(),
        "customer_email": submission.customer_email.strip().lower(),
        "customer_address": submission.customer_address.strip(),
        "demand": submission.demand.strip(),
        "product": submission.product.pk if submission.product else None,
        "product_model": submission.product_model.strip(),
        "serial_number": submission.serial_number.strip(),
        "purchased_on": submission.purchased_on,
        "order_number": submission.order_number.strip(),
        "received_at": submission.received_at,
        "attachments": [_file_digest(upload) for upload in submission.attachments],
    }
    digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _file_digest(upload: UploadedFile[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"{upload.name}:{digest.hexdigest()}"


def _validate(submission: Submission) -> None:
    if submission.channel not in Channel.values:
        raise InvalidInput(_("Choose a valid channel."), field="channel")
    if submission.store is None:
        raise InvalidInput(_("Choose a store."), field="store")
    if len(submission.external_id) > MAX_KEY_LENGTH:
        raise InvalidInput(
            _("At most %(n)d characters.") % {"n": MAX_KEY_LENGTH}, field="external_id"
        )
    if not submission.store.is_active:
        raise InvalidInput(_("This store no longer takes complaints."), field="store")
    for upload in submission.attachments:
        upload.content_type = attachment_type(upload)


def attachment_type(upload: UploadedFile[bytes]) -> str:
    """The file's MIME type read from its content; InvalidInput if not evidence."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise InvalidInput(
            _(
                "%(name)s is not a photo, PDF or audio recording; "
                "attach JPEG, PNG, HEIC, PDF, MP3, M4A, AMR or WAV files."
            )
            % {"name": upload.name},
            field="attachments",
        )
    return str(kind.mime)


def _replay(submission: Submission, fingerprint: str) -> Receipt | None:
    """The earlier case for this key or external id; Conflict if the body differs."""
    # The `exclude` repeats the partial unique indexes' condition: SQLite uses such an
    # index only when the query states it, and otherwise scanned every case (the
    # join) on each intake, ~150 ms at 100k cases.
    records = []
    if submission.idempotency_key:
        records.append(
            (
                "idempotency_key",
                IntakeRecord.objects.filter(
                    idempotency_key=submission.idempotency_key
                ).exclude(idempotency_key=""),
            )
        )
    if submission.external_id:
        records.append(
            (
                "external_id",
                IntakeRecord.objects.filter(
                    channel=submission.channel, external_id=submission.external_id
                ).exclude(external_id=""),
            )
        )
    for name, query in records:
        record = query.select_related("case").first()
        if record is None:
            continue
        if record.fingerprint != fingerprint:
            raise Conflict(
                _(
                    "This %(what)s was already used for complaint %(number)s with "
                    "different content."
                )
                % {"what": name.replace("_", " "), "number": record.case.number},
                code="idempotency_conflict",
                field=name,
            )
        return Receipt(case=record.case, created=False)
    return None


def intake_receive(*, submission: Submission) -> Receipt:
    """Make a case of the submission once; a retry gets the same case back."""
    _validate(submission)
    fingerprint = submission_fingerprint(submission)
    earlier = _replay(submission, fingerprint)
    if earlier is not None:
        return earlier
    stored: list[str] = []
    try:
        # Everything that only reads or computes happens before the transaction: on
        # SQLite the write lock (taken at BEGIN) is what every concurrent intake
        # queues on, so the transaction holds just the INSERTs.
        prepared = _prepare(submission)
        with clocks_prepared(prepared.case), transaction.atomic():
            case = _write(submission, prepared, fingerprint, stored)
    except InvalidInput as error:
        _forget_files(stored)
        # The customer service names its fields `phone`; submissions `customer_phone`.
        if error.field in _CUSTOMER_FIELDS:
            error.field = f"customer_{error.field}"
        raise
    except IntegrityError:
        _forget_files(stored)
        # A concurrent twin committed first: its record now answers for both.
        earlier = _replay(submission, fingerprint)
        if earlier is None:
            raise
        return earlier
    except BaseException:
        _forget_files(stored)
        raise
    return Receipt(case=case, created=True)


@dataclass
class PreparedIntake:
    """A submission checked and worked out for `intake_write_many`."""

    submission: Submission
    prepared: PreparedCase
    fingerprint: str
    clocks: list[Clock]


def intake_prepare(*, submission: Submission) -> PreparedIntake:
    """Check a submission and work out its case and clocks; writes nothing.

    For a run whose replays the caller has already set aside (an import batch, by
    external id); InvalidInput names the submission's field at fault.
    """
    _validate(submission)
    try:
        prepared = _prepare(submission)
    except InvalidInput as error:
        if error.field in _CUSTOMER_FIELDS:
            error.field = f"customer_{error.field}"
        raise
    return PreparedIntake(
        submission=submission,
        prepared=prepared,
        fingerprint=submission_fingerprint(submission),
        clocks=clocks_for_new_case(prepared.case),
    )


def intake_write_many(items: list[PreparedIntake]) -> list[Case]:
    """Write prepared submissions set-based, call inside the run's transaction.

    Each case gets what `intake_receive` gives it (customer, number, search row,
    event, clocks and their checks, intake record); an IntegrityError (a twin
    committed meanwhile) fails the whole run, which the caller then receives one by
    one. Attachments are stored but not removed again if the transaction fails.
    """
    clocks = {id(item.prepared.case): item.clocks for item in items}
    with tasks_collected(), clocks_prepared_many(clocks):
        cases = cases_write_many(prepared=[item.prepared for item in items])
    now = timezone.now()
    instances_insert(
        [
            IntakeRecord(
                case=case,
                channel=item.submission.channel,
                backend=item.submission.backend,
                external_id=item.submission.external_id,
                idempotency_key=item.submission.idempotency_key,
                fingerprint=item.fingerprint,
                source=item.submission.source,
                created_at=now,
            )
            for item, case in zip(items, cases, strict=True)
        ]
    )
    for item, case in zip(items, cases, strict=True):
        if item.submission.acknowledge and item.submission.customer_email.strip():
            transaction.on_commit(partial(acknowledgement_send, case=case))
    return cases


# Set by `intake_batch`: the owner picks of a run of submissions, read once.
_picker: ContextVar[FirstContactPicker | None] = ContextVar(
    "intake_owner_picker", default=None
)


@contextmanager
def intake_batch() -> Iterator[None]:
    """Receive a run of submissions in one transaction (an import batch).

    The first-contact owners and the deadline rules and calendars are read once for
    the run instead of once per case; each case still gets its own checks, event,
    clocks and intake record. Use it inside the transaction that holds the run.
    """
    token = _picker.set(FirstContactPicker())
    try:
        with reads_shared():
            yield
    finally:
        _picker.reset(token)


def _owner_for(store: Store) -> User:
    picker = _picker.get()
    return picker.pick(store) if picker is not None else first_contact_owner(store)


def _prepare(submission: Submission) -> PreparedCase:
    store = cast(Store, submission.store)  # _validate refused None
    return case_prepare(
        data=CaseInput(
            channel=submission.channel,
            store=store,
            description=submission.description,
            customer=submission.customer,
            customer_name=submission.customer_name,
            customer_phone=submission.customer_phone,
            customer_email=submission.customer_email,
            customer_address=submission.customer_address,
            received_at=submission.received_at,
            demand=submission.demand,
            product=submission.product,
            product_model=submission.product_model,
            serial_number=submission.serial_number,
            purchased_on=submission.purchased_on,
            order_number=submission.order_number,
            attachments=submission.attachments,
            extra_event_data={"via": submission.backend},
        ),
        owner=_owner_for(store),
    )


def _write(
    submission: Submission, prepared: PreparedCase, fingerprint: str, stored: list[str]
) -> Case:
    case = case_write(prepared=prepared)
    if submission.attachments:
        stored.extend(case.attachments.values_list("file", flat=True))
    IntakeRecord.objects.create(
        case=case,
        channel=submission.channel,
        backend=submission.backend,
        external_id=submission.external_id,
        idempotency_key=submission.idempotency_key,
        fingerprint=fingerprint,
        source=submission.source,
        created_at=timezone.now(),
    )
    if submission.acknowledge and submission.customer_email.strip():
        transaction.on_commit(lambda: acknowledgement_send(case=case))
    return case


def _forget_files(names: list[str]) -> None:
    """Remove files stored for a case whose transaction rolled back."""
    for name in names:
        default_storage.delete(name)
