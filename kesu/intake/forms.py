"""The public complaint form: what a customer can tell us about their complaint."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Store
from kesu.cases.forms.entry import MultipleFileField, TelInput
from kesu.cases.models import Product
from kesu.cases.services.intake import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from kesu.core.errors import InvalidInput
from kesu.intake.services import attachment_type
from kesu.web.widgets import DateInput

HONEYPOT = "website"
# The form token: issued with the rendered form, the submission's idempotency key.
SUBMIT_KEY_FIELD = "form_token"
SUBMIT_KEY_SALT = "kesu.intake.form"
SUBMIT_KEY_MAX_AGE = 2 * 24 * 3600


def form_token_issue() -> str:
    """A new one-time token for a rendered form: a random nonce, signed."""
    return signing.dumps(uuid.uuid4().hex, salt=SUBMIT_KEY_SALT)


def form_token_read(token: str) -> str | None:
    """The token's nonce; None if it is missing, altered or too old."""
    try:
        nonce = signing.loads(token, salt=SUBMIT_KEY_SALT, max_age=SUBMIT_KEY_MAX_AGE)
    except signing.BadSignature:
        return None
    return nonce if isinstance(nonce, str) else None


class ComplaintForm(forms.Form):
    """Every R-IN-2 field a customer knows; staff-only ones (severity …) are absent."""

    customer_name = forms.CharField(label=_("Your name"), max_length=100)
    customer_phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=TelInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    customer_email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("We send the acknowledgement with your case number here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    customer_address = forms.CharField(
        label=_("Address"), max_length=300, required=False
    )
    store = forms.ModelChoiceField(
        label=_("Store"),
        queryset=Store.objects.filter(is_active=True),
        help_text=_("Where you bought the product or were served."),
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
    )
    product_model = forms.CharField(label=_("Model"), max_length=80, required=False)
    serial_number = forms.CharField(
        label=_("Serial number"), max_length=80, required=False
    )
    purchased_on = forms.DateField(
        label=_("Purchase date"), widget=DateInput, required=False
    )
    order_number = forms.CharField(
        label=_("Order number"), max_length=80, required=False
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    demand = forms.CharField(
        label=_("What would you like us to do?"),
        max_length=2_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachments = MultipleFileField(
        label=_("Photos, receipts, recordings"),
        required=False,
        help_text=_("Up to 5 files, 10 MB each: images, PDF or audio."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my personal data is used to handle this complaint and "
            "kept for as long as the law requires."
        ),
    )
    # Signed, not stored: a double click, a browser resubmit or back-and-resubmit
    # sends the same token, and intake returns the case the first post made.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Hidden from people by CSS; bots that fill every field fill this one too.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_attachments(self) -> list[UploadedFile[bytes]]:
        files: list[UploadedFile[bytes]] = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)d files.") % {"count": MAX_ATTACHMENTS}
            )
        for upload in files:
            if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than %(mb)d MB.")
                    % {"name": upload.name, "mb": MAX_ATTACHMENT_BYTES // 2**20}
                )
            try:
                attachment_type(upload)
            except InvalidInput as error:
                raise forms.ValidationError(error.message) from None
        return files

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("customer_phone") and not cleaned.get("customer_email"):
            self.add_error(
                "customer_phone",
                _("Give a phone number or an e-mail address so we can reply."),
            )
        nonce = form_token_read(cleaned.get(SUBMIT_KEY_FIELD) or "")
        if nonce is None:
            self.add_error(
                None,
                _(
                    "This form had expired or was changed on the way, so nothing was "
                    "sent. Please check it and send it again."
                ),
            )
            self.token_renew()
        cleaned[SUBMIT_KEY_FIELD] = nonce
        return cleaned

    def token_spent(self) -> None:
        """Refuse a token that made a case with other content; issue a fresh one.

        Back, edit, resubmit: the first complaint stands, and the next post with the
        fresh token files the edited one as a new case.
        """
        self.add_error(
            None,
            _(
                "This form was already sent, with other content, and that complaint "
                "is recorded. Send it again to file a new complaint."
            ),
        )
        self.token_renew()

    def token_renew(self) -> None:
        """Render the form with a fresh token: the next post is a new submission."""
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        data[SUBMIT_KEY_FIELD] = form_token_issue()
        self.data = data

    @property
    def is_bot(self) -> bool:
        """True when the honeypot field was filled in."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def add_domain_error(self, error: InvalidInput) -> None:
        """Show the service's field-level refusal on its field, or above the form."""
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)
