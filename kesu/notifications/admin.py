from django.contrib import admin

from kesu.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "recipient", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False
