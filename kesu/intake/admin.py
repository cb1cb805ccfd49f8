"""Intake in the admin: mailboxes (password write-only) and their imported messages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kesu.intake.models import Mailbox, MailMessage, MailOutcome
from kesu.intake.tasks import mail_polls_schedule


class MailboxForm(forms.ModelForm):  # type: ignore[type-arg]
    # Never rendered back into the page; left empty, the stored password stays.
    password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("An app password. Leave empty to keep the current one."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "store",
            "host",
            "port",
            "tls_mode",
            "ca_file",
            "username",
            "password",
            "folder",
            "poll_seconds",
            "is_active",
        ]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not password and self.instance.pk:
            return str(self.instance.password)
        if not password:
            raise forms.ValidationError(_("Give the mailbox's password."))
        return password

    def clean_poll_seconds(self) -> int:
        seconds: int = self.cleaned_data["poll_seconds"]
        if seconds < 10:
            raise forms.ValidationError(_("Poll at most every 10 seconds."))
        return seconds


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = MailboxForm
    list_display = [
        "name",
        "store",
        "host",
        "folder",
        "is_active",
        "last_polled_at",
        "cases",
        "ignored",
        "last_error",
    ]
    readonly_fields = ["uidvalidity", "last_uid", "last_polled_at", "last_error"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mailbox]:
        queryset: QuerySet[Mailbox] = (
            super()
            .get_queryset(request)
            .select_related("store")
            .annotate(
                case_count=Count(
                    "messages", filter=Q(messages__outcome=MailOutcome.CASE)
                ),
                ignored_count=Count(
                    "messages", filter=Q(messages__outcome=MailOutcome.IGNORED)
                ),
            )
        )
        return queryset

    @admin.display(description=_("new cases"), ordering="case_count")
    def cases(self, mailbox: Any) -> int:
        return int(mailbox.case_count)

    @admin.display(description=_("auto-replies and bounces"), ordering="ignored_count")
    def ignored(self, mailbox: Any) -> int:
        return int(mailbox.ignored_count)

    def save_model(
        self, request: HttpRequest, obj: Mailbox, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        # A new or edited mailbox starts a fresh chain with its new settings.
        transaction.on_commit(lambda: mail_polls_schedule([obj]))


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["imported_at", "mailbox", "uid", "outcome", "case", "reason"]
    list_filter = ["outcome", "mailbox"]
    list_select_related = ["mailbox", "case"]
    search_fields = ["message_id", "case__number"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: MailMessage | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: MailMessage | None = None
    ) -> bool:
        return False
