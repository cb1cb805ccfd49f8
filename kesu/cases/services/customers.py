"""Customers: found by blind index, created with encrypted personal data."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from kesu.cases.models import Customer
from kesu.core.bulk import instances_insert
from kesu.core.errors import InvalidInput
from kesu.privacy import crypto


def customer_find_by_phone(phone: str) -> Customer | None:
    """The customer with this phone (any spelling: +86, spaces, dashes), if any."""
    index = crypto.phone_index(phone)
    if not index:
        return None
    return Customer.objects.filter(phone_index=index).order_by("id").first()


def _validate_contact(phone: str, email: str) -> None:
    if not phone.strip() and not email.strip():
        raise InvalidInput(
            _("Give a phone number or an e-mail address."), field="phone"
        )
    digits = crypto.normalize_phone(phone)
    if phone.strip() and not (digits.lstrip("+").isdigit() and 5 <= len(digits) <= 16):
        raise InvalidInput(_("Enter a valid phone number."), field="phone")
    if email.strip() and "@" not in email:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email")


@dataclass(frozen=True)
class CustomerDraft:
    """A complainant's contact details checked and indexed, with the match found.

    Made before the write transaction (`customer_prepare`): the checks, the blind
    indexes and the lookup need no write lock.
    """

    name: str
    phone: str
    email: str
    address: str
    phone_index: str
    email_index: str
    found: Customer | None


def customer_prepare(
    *, name: str, phone: str = "", email: str = "", address: str = ""
) -> CustomerDraft:
    """Check and index the contact details and look the customer up; writes nothing."""
    _validate_contact(phone, email)
    phone_index = crypto.phone_index(phone) if phone.strip() else ""
    email_index = crypto.email_index(email) if email.strip() else ""
    return CustomerDraft(
        name=name.strip(),
        phone=crypto.normalize_phone(phone) if phone.strip() else "",
        email=crypto.normalize_email(email) if email.strip() else "",
        address=address.strip(),
        phone_index=phone_index,
        email_index=email_index,
        found=_match(phone_index, email_index),
    )


def customer_save(*, draft: CustomerDraft) -> Customer:
    """The drafted customer, completed if found, else created; call in a transaction.

    A customer not found before the transaction is looked up once more inside it: a
    concurrent intake for the same phone may have created them meanwhile.
    """
    customer = draft.found or _match(draft.phone_index, draft.email_index)
    if customer is None:
        customer = _new_customer(draft)
        customer.save()
        return customer
    _complete(customer, draft)
    return customer


def _new_customer(draft: CustomerDraft) -> Customer:
    return Customer(
        name=draft.name,
        phone=draft.phone,
        email=draft.email,
        address=draft.address,
        phone_index=draft.phone_index,
        email_index=draft.email_index,
    )


def customer_get_or_create(
    *, name: str, phone: str = "", email: str = "", address: str = ""
) -> Customer:
    """The existing customer with this phone or e-mail, else a new one.

    An existing customer's stored details are completed, never overwritten: what an
    agent types on a later call may be a nickname or a second number.
    """
    draft = customer_prepare(name=name, phone=phone, email=email, address=address)
    return customer_save(draft=draft)


def _match(phone_index: str, email_index: str) -> Customer | None:
    customer = None
    if phone_index:
        customer = (
            Customer.objects.filter(phone_index=phone_index).order_by("id").first()
        )
    if customer is None and email_index:
        customer = (
            Customer.objects.filter(email_index=email_index).order_by("id").first()
        )
    return customer


def _complete(customer: Customer, draft: CustomerDraft) -> None:
    changed = _fill(customer, draft)
    if changed:
        customer.save(update_fields=changed)


def customers_save_many(drafts: list[CustomerDraft | Customer]) -> list[Customer]:
    """`customer_save` for a run of cases in one transaction, in as few queries.

    Matches as a one-by-one run would: the lowest-id customer with the phone, else
    with the e-mail, counting those made earlier in the run; found ones are completed.
    An unsaved `Customer` (an import's platform handle) is saved as it is.
    """
    pending = [d for d in drafts if isinstance(d, CustomerDraft) and d.found is None]
    phones = _lowest_by("phone_index", {d.phone_index for d in pending} - {""})
    emails = _lowest_by("email_index", {d.email_index for d in pending} - {""})
    made_phones: dict[str, Customer] = {}
    made_emails: dict[str, Customer] = {}
    result: list[Customer] = []
    new: list[Customer] = []
    completed: dict[int, tuple[Customer, set[str]]] = {}
    for draft in drafts:
        if isinstance(draft, Customer):
            if draft.pk is None:
                new.append(draft)
            result.append(draft)
            continue
        customer = draft.found or (
            phones.get(draft.phone_index)
            or made_phones.get(draft.phone_index)
            or emails.get(draft.email_index)
            or made_emails.get(draft.email_index)
        )
        if customer is None:
            customer = _new_customer(draft)
            new.append(customer)
        else:
            changed = _fill(customer, draft)
            if customer.pk is not None and changed:
                completed.setdefault(customer.pk, (customer, set()))[1].update(changed)
        for index, made in (
            (customer.phone_index, made_phones),
            (customer.email_index, made_emails),
        ):
            if index:
                made.setdefault(index, customer)
        result.append(customer)
    instances_insert(new)
    for customer, fields in completed.values():
        customer.save(update_fields=sorted(fields))
    return result


def _lowest_by(field: str, values: set[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    if values:
        query = Customer.objects.filter(**{f"{field}__in": values}).order_by("-id")
        for customer in query:  # the lowest id is seen last and wins
            found[getattr(customer, field)] = customer
    return found


def _fill(customer: Customer, draft: CustomerDraft) -> list[str]:
    """Complete the customer's empty details from the draft; the fields it set."""
    changed = []
    if not customer.name and draft.name:
        customer.name = draft.name
        changed.append("name")
    if not customer.email and draft.email:
        customer.email = draft.email
        customer.email_index = draft.email_index
        changed += ["email", "email_index"]
    if not customer.address and draft.address:
        customer.address = draft.address
        changed.append("address")
    return changed
