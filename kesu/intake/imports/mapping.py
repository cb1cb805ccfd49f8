"""One spreadsheet row onto Kesu's fields, with every problem named (R-IN-5).

A row is checked completely, not up to its first problem, so the preview lists each
bad cell once and the user fixes the file in one go.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.accounts.models import Store
from kesu.core.errors import InvalidInput
from kesu.intake.imports.dates import DateError, parse_date, parse_datetime
from kesu.intake.services import MAX_KEY_LENGTH
from kesu.privacy import crypto

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Target:
    """A Kesu field a column can fill."""

    name: str
    label: StrOrPromise
    max_length: int | None = None
    is_multiple: bool = False


FIELDS = (
    Target("external_id", gettext_lazy("Id on the source platform"), 150),
    Target("received_at", gettext_lazy("Received (original time)")),
    Target("description", gettext_lazy("Description"), is_multiple=True),
    Target("demand", gettext_lazy("Customer's demand")),
    Target("customer_name", gettext_lazy("Customer name or platform user")),
    Target("customer_phone", gettext_lazy("Customer phone")),
    Target("customer_email", gettext_lazy("Customer e-mail")),
    Target("customer_address", gettext_lazy("Customer address")),
    Target("product_model", gettext_lazy("Product / model"), 120),
    Target("serial_number", gettext_lazy("Serial number"), 80),
    Target("purchased_on", gettext_lazy("Purchase date")),
    Target("order_number", gettext_lazy("Order number"), 80),
    Target("store", gettext_lazy("Store (code or name)")),
)
FIELD_NAMES = frozenset(target.name for target in FIELDS)
_TEXT = (
    "demand",
    "customer_name",
    "customer_phone",
    "customer_email",
    "customer_address",
    "product_model",
    "serial_number",
    "order_number",
)
_BLANK_LINES = re.compile(r"[ \t\u3000]*\n\s*")


@dataclass
class RowProblem:
    """A bad cell: the column as the file names it, and why."""

    column: str
    reason: str


@dataclass
class ParsedRow:
    """A row read onto Kesu's fields; `problems` empty means it can be imported."""

    number: int
    fields: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class RowContext:
    """What every row of one job is read with."""

    mapping: dict[str, list[str]]
    platform: str
    zone: ZoneInfo
    stores: dict[str, Store]
    default_store: Store | None
    now: dt.datetime


def mapping_clean(raw: dict[str, Any], headers: list[str]) -> dict[str, list[str]]:
    """The mapping as {field: [columns]}; InvalidInput naming the field at fault."""
    mapping: dict[str, list[str]] = {}
    for name, columns in raw.items():
        if name not in FIELD_NAMES:
            raise InvalidInput(_("Unknown field."), field=name)
        chosen = [columns] if isinstance(columns, str) else list(columns or [])
        chosen = [column for column in chosen if column]
        missing = [column for column in chosen if column not in headers]
        if missing:
            raise InvalidInput(
                _("The file has no column %(column)s.") % {"column": missing[0]},
                field=name,
            )
        if chosen:
            mapping[name] = chosen
    if "description" not in mapping:
        raise InvalidInput(
            _("Choose the column(s) that describe the complaint."), field="description"
        )
    return mapping


def store_lookup() -> dict[str, Store]:
    """Active stores by code and by either name, for a row's store column."""
    lookup: dict[str, Store] = {}
    for store in Store.objects.filter(is_active=True):
        for key in (store.code, store.name, store.name_en):
            if key:
                lookup[key.strip().casefold()] = store
    return lookup


def row_parse(number: int, values: dict[str, Any], context: RowContext) -> ParsedRow:
    """Read one row; every problem found is listed, not only the first."""
    row = ParsedRow(number=number)
    mapping = context.mapping
    _description(row, values, mapping["description"])
    for name in _TEXT:
        if name in mapping:
            row.fields[name] = _text(row, name, values, mapping[name][0])
    _contact(row, mapping)
    _dates(row, values, context)
    _store(row, values, context)
    _identify(row, values, context)
    return row


def cell_text(value: Any) -> str:
    """A cell as text: Excel's 2549.0 is "2549", datetimes in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _text(row: ParsedRow, name: str, values: dict[str, Any], column: str) -> str:
    text = cell_text(values.get(column))
    limit = next(target.max_length for target in FIELDS if target.name == name)
    if limit and len(text) > limit:
        row.problems.append(
            RowProblem(column, _("Longer than %(n)d characters.") % {"n": limit})
        )
    return text


def _description(row: ParsedRow, values: dict[str, Any], columns: list[str]) -> None:
    parts = [_BLANK_LINES.sub("\n", cell_text(values.get(c))).strip() for c in columns]
    row.fields["description"] = "\n\n".join(part for part in parts if part)
    if not row.fields["description"]:
        row.problems.append(
            RowProblem(", ".join(columns), _("Empty: a complaint needs a description."))
        )


def _contact(row: ParsedRow, mapping: dict[str, list[str]]) -> None:
    # The same rules as the customer service, checked here so the preview shows them.
    # The value itself is never quoted: it is personal data.
    phone = row.fields.get("customer_phone", "")
    digits = crypto.normalize_phone(phone).lstrip("+") if phone else ""
    if phone and not (digits.isdigit() and 5 <= len(digits) <= 16):
        row.problems.append(
            RowProblem(mapping["customer_phone"][0], _("Not a phone number."))
        )
    email = row.fields.get("customer_email", "")
    if email and "@" not in email:
        row.problems.append(
            RowProblem(mapping["customer_email"][0], _("Not an e-mail address."))
        )


def _dates(row: ParsedRow, values: dict[str, Any], context: RowContext) -> None:
    for name, parse in (("received_at", parse_datetime), ("purchased_on", parse_date)):
        if name not in context.mapping:
            continue
        column = context.mapping[name][0]
        value = values.get(column)
        try:
            row.fields[name] = parse(value, context.zone)
        except DateError:
            row.problems.append(
                RowProblem(
                    column,
                    _("Not a date we can read: %(value)s")
                    % {"value": cell_text(value)[:40]},
                )
            )
            continue
        moment = row.fields[name]
        if moment is not None and _in_future(moment, context.now):
            row.problems.append(RowProblem(column, _("The date lies in the future.")))


def _in_future(moment: dt.date, now: dt.datetime) -> bool:
    if isinstance(moment, dt.datetime):
        return moment > now + dt.timedelta(minutes=5)
    return moment > now.date()


def _store(row: ParsedRow, values: dict[str, Any], context: RowContext) -> None:
    column = context.mapping.get("store", [""])[0]
    name = cell_text(values.get(column)) if column else ""
    store = context.stores.get(name.casefold()) if name else context.default_store
    if store is None:
        reason = (
            _("No active store has this code or name.")
            if name
            else _("No store: map a store column or choose a store for the file.")
        )
        row.problems.append(RowProblem(column or _("Store"), reason))
    row.fields["store"] = store


def _identify(row: ParsedRow, values: dict[str, Any], context: RowContext) -> None:
    """The row's external id: the platform's own id, else a hash of what it says."""
    if "external_id" in context.mapping:
        column = context.mapping["external_id"][0]
        own = cell_text(values.get(column))
        if not own:
            row.problems.append(RowProblem(column, _("Empty: the row needs its id.")))
        elif len(own) > MAX_KEY_LENGTH - len(context.platform) - 1:
            row.problems.append(RowProblem(column, _("This id is too long.")))
    else:
        # Same content, same id: re-importing the file (or a CSV copy of the same
        # XLSX, since dates are compared parsed) finds the rows already there.
        content = {
            key: value.code if isinstance(value, Store) else value
            for key, value in row.fields.items()
        }
        blob = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        own = "#" + hashlib.sha256(blob.encode()).hexdigest()[:40]
    row.external_id = f"{context.platform}:{own}"
