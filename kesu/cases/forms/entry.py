"""The staff entry form for phone and walk-in complaints (R-IN-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Store, User
from kesu.cases.models import Category, Channel, ImpactGrade, Product, Severity
from kesu.cases.services import CaseInput, customer_find_by_phone
from kesu.core.errors import DomainError
from kesu.web.widgets import DateInput

if TYPE_CHECKING:
    ModelChoiceField = forms.ModelChoiceField[Any]
else:
    ModelChoiceField = forms.ModelChoiceField  # generic only in django-stubs

# Channels staff record by hand; the others arrive through their own intake paths.
STAFF_CHANNELS = [
    Channel.PHONE,
    Channel.WALK_IN,
    Channel.EMAIL,
    Channel.SOCIAL,
    Channel.INTERNAL,
]


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class TelInput(forms.TextInput):
    input_type = "tel"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A list of uploaded files; count and size limits are the service's rules."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class SubcategoryChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        parent = obj.parent.display_name if obj.parent else ""
        return f"{parent} › {obj.display_name}"


class CaseEntryForm(forms.Form):
    """One complaint as staff type it; `case_input()` hands it to `case_create`."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        initial=Channel.PHONE,
    )
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=DateTimeInput,
        required=False,
        help_text=_("Store local time; leave empty for now."),
    )
    customer_phone = forms.CharField(
        label=_("Phone"), max_length=30, required=False, widget=TelInput
    )
    customer_name = forms.CharField(label=_("Name"), max_length=100, required=False)
    customer_email = forms.EmailField(label=_("E-mail"), required=False)
    customer_address = forms.CharField(
        label=_("Address"), max_length=300, required=False
    )
    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none())
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(is_active=True),
        required=False,
    )
    product_model = forms.CharField(label=_("Model"), max_length=120, required=False)
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
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5})
    )
    demand = forms.CharField(
        label=_("Customer's demand"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(parent__isnull=True, is_active=True),
        required=False,
    )
    subcategory = SubcategoryChoiceField(
        label=_("Sub-category"),
        queryset=Category.objects.filter(
            parent__isnull=False, is_active=True
        ).select_related("parent"),
        required=False,
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL
    )
    impact_grade = forms.ChoiceField(
        label=_("Impact grade"), choices=ImpactGrade.choices, initial=ImpactGrade.C
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 5 files, 10 MB each: photos, receipts, recordings."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ModelChoiceField, self.fields["store"]).queryset = _stores_for(user)
        # htmx: look the phone up as it is typed; narrow sub-categories on change.
        self.fields["customer_phone"].widget.attrs.update(
            {
                "autocomplete": "off",
                "inputmode": "tel",
                "hx-get": reverse("cases:customer_lookup"),
                "hx-trigger": "load, input changed delay:500ms, change",
                "hx-target": "#customer-lookup",
                "aria-describedby": "customer-lookup",
            }
        )
        self.fields["category"].widget.attrs.update(
            {
                "hx-get": reverse("cases:new"),
                "hx-trigger": "change",
                "hx-target": "#subcategory-field",
                "hx-swap": "outerHTML",
            }
        )
        category = self.initial.get("category")
        if not self.is_bound and category and str(category).isdigit():
            # Offer only the chosen category's children (htmx refreshes this list);
            # a bound form keeps them all so a mismatch gets its own message.
            field = cast(ModelChoiceField, self.fields["subcategory"])
            field.queryset = Category.objects.filter(
                parent_id=category, is_active=True
            ).select_related("parent")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        phone = cleaned.get("customer_phone", "")
        if not phone and not cleaned.get("customer_email"):
            self.add_error(
                "customer_phone", _("Give a phone number or an e-mail address.")
            )
        elif not cleaned.get("customer_name") and not (
            phone and customer_find_by_phone(phone)
        ):
            self.add_error("customer_name", _("Enter the customer's name."))
        received_at, store = cleaned.get("received_at"), cleaned.get("store")
        if received_at and store:
            # The clock on the wall is the store's, not the server's.
            cleaned["received_at"] = timezone.make_aware(
                timezone.make_naive(received_at), store.zone
            )
        subcategory, category = cleaned.get("subcategory"), cleaned.get("category")
        if subcategory and subcategory.parent_id != getattr(category, "pk", None):
            self.add_error(
                "subcategory", _("The sub-category does not belong to the category.")
            )
        return cleaned

    def case_input(self) -> CaseInput:
        """The validated form as the intake service's input."""
        return CaseInput(**self.cleaned_data)

    def add_domain_error(self, error: DomainError) -> None:
        """Show a service's refusal on its field, or above the form."""
        field = _SERVICE_FIELDS.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)


# The service names contact fields without the form's `customer_` prefix.
_SERVICE_FIELDS = {
    "phone": "customer_phone",
    "email": "customer_email",
    "name": "customer_name",
}


def _stores_for(user: User) -> QuerySet[Store]:
    """The user's own stores; staff without stores (head office) may pick any."""
    own = Store.objects.filter(is_active=True, staff=user)
    return own if own.exists() else Store.objects.filter(is_active=True)
