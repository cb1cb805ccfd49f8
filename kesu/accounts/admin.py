"""Admin for the organisation: departments, stores, staff with roles and scope."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, Store, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "city", "time_zone", "is_active"]
    list_filter = ["is_active", "city"]
    search_fields = ["code", "name", "name_en", "city"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "display_name", "role", "is_active", "is_absent"]
    list_filter = ["role", "is_active", "is_absent", "departments", "stores"]
    search_fields = ["username", "display_name", "first_name", "last_name"]
    filter_horizontal = ["departments", "stores", "groups", "user_permissions"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            _("Kesu role and scope"),
            {"fields": ["role", "display_name", "departments", "stores", "is_absent"]},
        ),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        (_("Kesu role and scope"), {"fields": ["role", "departments", "stores"]}),
    ]
