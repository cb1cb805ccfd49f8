"""API tokens in the admin: issue one (its key shown once), list, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kesu.api.auth import SCOPES
from kesu.api.models import ApiToken


class ApiTokenForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes"]


class RevokedFilter(admin.SimpleListFilter):
    title = gettext_lazy("revoked")
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[ApiToken]
    ) -> QuerySet[ApiToken]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(revoked_at__isnull=self.value() == "no")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ApiTokenForm
    list_display = [
        "name",
        "key_hint",
        "user",
        "scope_list",
        "is_revoked",
        "created_at",
        "last_used_at",
    ]
    list_filter = [RevokedFilter]
    list_select_related = ["user"]
    search_fields = ["name", "key_hint", "user__username"]
    readonly_fields = ["key_hint", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The owner of an issued token never changes: revoke and issue a new one.
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "user"] if obj else fields

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description=gettext_lazy("revoked"), boolean=True)
    def is_revoked(self, obj: ApiToken) -> bool:
        return obj.revoked_at is not None

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, raw = ApiToken.issue(user=obj.user, name=obj.name, scopes=obj.scopes)
        # The admin goes on with `obj` (log entry, redirect): make it the issued row.
        obj.pk = issued.pk
        obj.refresh_from_db()
        obj._state.adding = False
        messages.warning(
            request,
            _("Copy the token now, it will not be shown again: %(token)s")
            % {"token": raw},
        )

    @admin.action(description=gettext_lazy("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        message = ngettext(
            "%(count)d token revoked.", "%(count)d tokens revoked.", count
        )
        self.message_user(request, message % {"count": count})
