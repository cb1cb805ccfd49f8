"""Admin for the taxonomy, products and reply scripts; cases are read-only here.

Cases and their events are shown for support and audit only. Personal data stays
masked (R-SEC-2): the customer appears through its masked `__str__`, and unmasking is
a case-page action that leaves an event, never an admin view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kesu.cases.models import Case, CaseEvent, Category, Product, ReplyTemplate

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin  # generic only in django-stubs


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["code", "name", "name_en", "parent", "sort_order", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["parent__sort_order", "sort_order", "code"]


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["code", "name", "name_en", "model_number", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en", "model_number"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(ModelAdmin):
    list_display = ["title", "stage", "language", "is_active"]
    list_filter = ["stage", "language", "is_active"]
    search_fields = ["title", "body"]


class ReadOnlyAdmin(ModelAdmin):
    """View-only: every change goes through the services and leaves an event."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# An explicit list: a new model field must be added here on purpose, so personal
# data never appears in the admin by accident.
CASE_FIELDS = (
    "number",
    "received_at",
    "channel",
    "masked_customer",
    "masked_phone",
    "store",
    "product",
    "product_model",
    "serial_number",
    "purchased_on",
    "order_number",
    "category",
    "subcategory",
    "severity",
    "impact_grade",
    "department",
    "owner",
    "assignee",
    "status",
    "description",
    "demand",
    "resolution_type",
    "resolution_note",
    "feedback_result",
    "closed_at",
)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "received_at",
        "status",
        "severity",
        "masked_customer",
        "masked_phone",
        "store",
        "department",
        "owner",
        "assignee",
    ]
    list_filter = ["status", "severity", "channel", "store", "department"]
    list_select_related = ["customer", "store", "department", "owner", "assignee"]
    search_fields = ["number", "order_number"]
    date_hierarchy = "received_at"
    fields = CASE_FIELDS
    readonly_fields = CASE_FIELDS

    @admin.display(description=_("customer"))
    def masked_customer(self, case: Case) -> str:
        return case.customer.masked_name

    @admin.display(description=_("phone"))
    def masked_phone(self, case: Case) -> str:
        return case.customer.masked_phone


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "type", "visibility", "actor"]
    list_filter = ["type", "visibility"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number", "type"]
    fields = readonly_fields = (
        "case",
        "created_at",
        "actor",
        "type",
        "visibility",
        "message",
        "data",
    )
