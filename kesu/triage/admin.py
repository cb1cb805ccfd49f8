"""Admin for triage rules (editable data), labelled examples and model versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from kesu.triage.models import LabelledExample, ModelVersion, RoutingRule, TriageRule
from kesu.triage.selectors import predictor_reset

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin  # generic only in django-stubs


@admin.register(TriageRule)
class TriageRuleAdmin(ModelAdmin):
    list_display = ["pattern", "kind", "value", "language", "is_active"]
    list_filter = ["kind", "value", "language", "is_active"]
    search_fields = ["pattern"]

    def save_model(
        self, request: HttpRequest, obj: Any, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        predictor_reset()  # this process at once; others within CACHE_SECONDS

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        predictor_reset()


@admin.register(LabelledExample)
class LabelledExampleAdmin(ModelAdmin):
    list_display = ["category", "subcategory", "source", "created_at", "created_by"]
    list_filter = ["source", "category"]
    list_select_related = ["created_by"]
    search_fields = ["text"]
    raw_id_fields = ["case"]


@admin.register(ModelVersion)
class ModelVersionAdmin(ModelAdmin):
    # Activation goes through `kesu triage activate` so that it stays one service.
    list_display = ["version", "created_at", "trained_from", "examples", "is_active"]
    exclude = ["bundle"]
    readonly_fields = [
        "version",
        "created_at",
        "trained_from",
        "examples",
        "metrics",
        "is_active",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(ModelAdmin):
    list_display = [
        "category",
        "subcategory",
        "product",
        "store",
        "department",
        "priority",
        "is_active",
    ]
    list_filter = ["department", "is_active", "category"]
    list_select_related = ["category", "subcategory", "product", "store", "department"]
