from django.contrib import admin

from kesu.sla.models import CalendarDay, SlaPolicy, SlaTarget, StoreCalendar


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 1


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "severity", "category", "is_active")
    list_filter = ("is_active", "severity")
    inlines = [SlaTargetInline]


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1


@admin.register(StoreCalendar)
class StoreCalendarAdmin(admin.ModelAdmin):
    list_display = ("store", "observes_public_holidays", "working_days_meaning")
    inlines = [CalendarDayInline]
