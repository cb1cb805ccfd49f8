"""Creating a case: validated input, customer, number, search index, first event."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, Store, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases import search
from kesu.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    Channel,
    Customer,
    ImpactGrade,
    Product,
    Severity,
)
from kesu.cases.numbering import local_day, next_case_number
from kesu.cases.services.customers import (
    CustomerDraft,
    customer_prepare,
    customer_save,
    customers_save_many,
)
from kesu.cases.services.events import event_append, events_append_many
from kesu.core.bulk import instances_insert
from kesu.core.errors import InvalidInput, PermissionDenied


@dataclass
class CaseInput:
    """What a complaint says when it arrives (R-IN-2)."""

    channel: str
    store: Store
    description: str
    customer: Customer | None = None
    customer_name: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    customer_address: str = ""
    received_at: dt.datetime | None = None
    demand: str = ""
    product: Product | None = None
    product_model: str = ""
    serial_number: str = ""
    purchased_on: dt.date | None = None
    order_number: str = ""
    category: Category | None = None
    subcategory: Category | None = None
    severity: str = Severity.GENERAL
    impact_grade: str = ImpactGrade.C
    department: Department | None = None
    assignee: User | None = None
    extra_event_data: dict[str, object] = field(default_factory=dict)
    attachments: list[UploadedFile[bytes]] = field(default_factory=list)


MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _validate(data: CaseInput, now: dt.datetime) -> None:
    if data.channel not in Channel.values:
        raise InvalidInput(_("Choose a valid channel."), field="channel")
    if not data.description.strip():
        raise InvalidInput(_("Describe the complaint."), field="description")
    if data.severity not in Severity.values:
        raise InvalidInput(_("Choose a valid severity."), field="severity")
    if data.impact_grade not in ImpactGrade.values:
        raise InvalidInput(_("Choose a valid impact grade."), field="impact_grade")
    if data.received_at and data.received_at > now + dt.timedelta(minutes=5):
        raise InvalidInput(
            _("The received time lies in the future."), field="received_at"
        )
    if data.purchased_on and data.purchased_on > timezone.localdate(now):
        raise InvalidInput(
            _("The purchase date lies in the future."), field="purchased_on"
        )
    if data.subcategory and data.subcategory.parent_id != getattr(
        data.category, "pk", None
    ):
        raise InvalidInput(
            _("The sub-category does not belong to the category."), field="subcategory"
        )
    if data.category and data.category.parent_id is not None:
        raise InvalidInput(_("Choose a top-level category."), field="category")
    _validate_attachments(data.attachments)


def _validate_attachments(files: list[UploadedFile[bytes]]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(
            _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS},
            field="attachments",
        )
    for upload in files:
        if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": upload.name, "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)},
                field="attachments",
            )


@dataclass
class PreparedCase:
    """A complaint checked and worked out before its write transaction.

    `case` is unsaved and still lacks its number and customer; `text_tokens` is its
    segmented search text without the number (jieba is the slow part of indexing).
    """

    case: Case
    customer: Customer | CustomerDraft
    text_tokens: list[str]
    attachments: list[UploadedFile[bytes]]
    actor: User | None
    event_data: dict[str, object]


@transaction.atomic
def case_create(*, data: CaseInput, by: User) -> Case:
    """Receive a complaint; the receiving user becomes its owner (首问负责)."""
    if not has_capability(by, Capability.CASE_CREATE):
        raise PermissionDenied(_("Your role cannot receive complaints."))
    return case_write(prepared=case_prepare(data=data, owner=by, actor=by))


@transaction.atomic
def case_receive(*, data: CaseInput, owner: User, actor: User | None = None) -> Case:
    """Receive a complaint no staff member took (web form, API, mail, import).

    The caller (kesu.intake) chose `owner` as first contact; `actor` is None when the
    customer filed it themself, so the timeline does not pretend a clerk did.
    """
    return case_write(prepared=case_prepare(data=data, owner=owner, actor=actor))


def case_prepare(
    *, data: CaseInput, owner: User, actor: User | None = None
) -> PreparedCase:
    """Check a complaint and work out its case; reads only, so call it before the
    write transaction, whose lock (on SQLite: the whole database's) it then holds
    only for the INSERTs of `case_write`."""
    now = timezone.now()
    _validate(data, now)
    customer = data.customer or customer_prepare(
        name=data.customer_name,
        phone=data.customer_phone,
        email=data.customer_email,
        address=data.customer_address,
    )
    case = Case(
        number="",
        received_at=data.received_at or now,
        channel=data.channel,
        store=data.store,
        description=data.description.strip(),
        demand=data.demand.strip(),
        product=data.product,
        product_model=data.product_model.strip(),
        serial_number=data.serial_number.strip(),
        purchased_on=data.purchased_on,
        order_number=data.order_number.strip(),
        category=data.category,
        subcategory=data.subcategory,
        severity=data.severity,
        impact_grade=data.impact_grade,
        department=data.department,
        owner=owner,
        assignee=data.assignee,
        status_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    return PreparedCase(
        case=case,
        customer=customer,
        text_tokens=search.search_text_for(case).split(),
        attachments=data.attachments,
        actor=actor,
        event_data={
            "channel": data.channel,
            "severity": data.severity,
            **data.extra_event_data,
        },
    )


def case_write(*, prepared: PreparedCase) -> Case:
    """Write a prepared case: customer, number, row, search index, attachments and
    its `case.received` event; call inside a transaction."""
    case, actor = prepared.case, prepared.actor
    customer = prepared.customer
    case.customer = (
        customer_save(draft=customer)
        if isinstance(customer, CustomerDraft)
        else customer
    )
    case.number = next_case_number(case.received_at, case.store.time_zone)
    # Space-separated parts are segmented independently, so the number's tokens put
    # in front give the text `search.search_text_for(case)` would.
    number_tokens = search.tokens(case.number)
    case.search_text = " ".join(dict.fromkeys([*number_tokens, *prepared.text_tokens]))
    case.updated_at = timezone.now()
    case.save(force_insert=True)
    search.index_case(case)
    for upload in prepared.attachments:
        Attachment.objects.create(
            case=case,
            file=upload,
            original_name=upload.name or "",
            content_type=upload.content_type or "",
            size=upload.size or 0,
            uploaded_by=actor,
            uploaded_at=case.created_at,
        )
    event_append(
        case=case,
        type="case.received",
        actor=actor,
        data=prepared.event_data,
        message=_("Complaint received as %(number)s.") % {"number": case.number},
        visibility="customer",
        touch_case=False,  # its updated_at was written just now
    )
    return case


# The table name comes from the model, never from input.
_COUNTERS = CaseNumberCounter._meta.db_table
_UPSERT_MANY = (
    f"INSERT INTO {_COUNTERS} (day, last) VALUES (%s, %s) "  # noqa: S608
    f"ON CONFLICT (day) DO UPDATE SET last = {_COUNTERS}.last + excluded.last "
    "RETURNING last"
)


def cases_write_many(*, prepared: list[PreparedCase]) -> list[Case]:
    """`case_write` for a run of prepared cases, set-based; call in a transaction.

    Customers, cases, search rows and events are each inserted in one statement and
    each day's numbers reserved at once, in the run's order: every case is stored as
    `case_write` would store it, with its `case.received` event seen by the handlers.
    """
    cases = [item.case for item in prepared]
    customers = customers_save_many([item.customer for item in prepared])
    numbers = _numbers_reserve(cases)
    now = timezone.now()
    for item, customer, number in zip(prepared, customers, numbers, strict=True):
        case = item.case
        case.customer, case.number, case.updated_at = customer, number, now
        number_tokens = search.tokens(number)
        case.search_text = " ".join(dict.fromkeys([*number_tokens, *item.text_tokens]))
    instances_insert(cases)
    if connection.vendor == "sqlite":  # PostgreSQL's search vector is generated
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {search.FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
                [(case.pk, case.search_text) for case in cases],
            )
    for item in prepared:
        for upload in item.attachments:
            Attachment.objects.create(
                case=item.case,
                file=upload,
                original_name=upload.name or "",
                content_type=upload.content_type or "",
                size=upload.size or 0,
                uploaded_by=item.actor,
                uploaded_at=item.case.created_at,
            )
    events_append_many(
        [
            CaseEvent(
                case=item.case,
                type="case.received",
                actor=item.actor,
                data=item.event_data,
                message=_("Complaint received as %(number)s.")
                % {"number": item.case.number},
                visibility="customer",
                created_at=timezone.now(),
            )
            for item in prepared
        ]
    )
    return cases


def _numbers_reserve(cases: list[Case]) -> list[str]:
    """The next numbers of each case's store-local day, in the order given."""
    days = [local_day(case.received_at, case.store.time_zone) for case in cases]
    counts = Counter(days)
    following: dict[str, int] = {}
    with connection.cursor() as cursor:
        for day, count in counts.items():
            cursor.execute(_UPSERT_MANY, [day, count])
            (last,) = cursor.fetchone()
            following[day] = last - count + 1
    numbers = []
    for day in days:
        numbers.append(f"KS-{day}-{following[day]:04d}")
        following[day] += 1
    return numbers
