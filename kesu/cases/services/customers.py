"""Customers: found by blind index, created with encrypted personal data."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesu.cases.models import Customer
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


def customer_get_or_create(
    *, name: str, phone: str = "", email: str = "", address: str = ""
) -> Customer:
    """The existing customer with this phone or e-mail, else a new one.

    An existing customer's stored details are completed, never overwritten: what an
    agent types on a later call may be a nickname or a second number.
    """
    _validate_contact(phone, email)
    phone_index = crypto.phone_index(phone) if phone.strip() else ""
    email_index = crypto.email_index(email) if email.strip() else ""
    customer = None
    if phone_index:
        customer = (
            Customer.objects.filter(phone_index=phone_index).order_by("id").first()
        )
    if customer is None and email_index:
        customer = (
            Customer.objects.filter(email_index=email_index).order_by("id").first()
        )
    if customer is None:
        return Customer.objects.create(
            name=name.strip(),
            phone=crypto.normalize_phone(phone) if phone.strip() else "",
            email=crypto.normalize_email(email) if email.strip() else "",
            address=address.strip(),
            phone_index=phone_index,
            email_index=email_index,
        )
    _complete(
        customer, name=name, email=email, email_index=email_index, address=address
    )
    return customer


def _complete(
    customer: Customer, *, name: str, email: str, email_index: str, address: str
) -> None:
    changed = []
    if not customer.name and name.strip():
        customer.name = name.strip()
        changed.append("name")
    if not customer.email and email.strip():
        customer.email = crypto.normalize_email(email)
        customer.email_index = email_index
        changed += ["email", "email_index"]
    if not customer.address and address.strip():
        customer.address = address.strip()
        changed.append("address")
    if changed:
        customer.save(update_fields=changed)
