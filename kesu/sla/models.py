"""SLA policies, per-store working calendars (R-SLA-1, R-SLA-2)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import LocalizedNameMixin, Store
from kesu.cases.models import Category, ResolutionType, Severity
from kesu.sla.calendar import WorkingDaysMeaning


class TargetKind(models.TextChoices):
    RESPONSE = "response", _("First response")
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
    PLAN = "plan", _("Handling plan")
    RESOLUTION = "resolution", _("Resolution deadline")
    FOLLOW_UP = "follow_up", _("Follow-up")
    COLLABORATION_START = "collaboration_start", _("Collaboration start")
    COLLABORATION_PLAN = "collaboration_plan", _("Cross-department plan")


class DurationUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes (elapsed)")
    HOURS = "hours", _("hours (elapsed)")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


def _validate_percent_list(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(p, int) and 0 < p < 100 for p in value
    ):
        raise ValidationError(_("Give whole percentages between 1 and 99."))


def _validate_minute_list(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(m, int) and m > 0 for m in value
    ):
        raise ValidationError(_("Give whole, positive numbers of minutes."))


def default_warning_percents() -> list[int]:
    return [50, 80]


def default_escalation_minutes() -> list[int]:
    # 三级预警: supervisor after 2 h, manager after 4 h and 8 h past due.
    return [120, 240, 480]


class SlaPolicy(LocalizedNameMixin):
    """Targets for the cases of one severity and/or category (blank = any)."""

    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, blank=True
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        verbose_name=_("category or sub-category"),
    )
    pauses_while_waiting = models.BooleanField(
        _("pause resolution while waiting on the customer"), default=True
    )
    warning_percents = models.JSONField(
        _("warn when this share of the time is used (%)"),
        default=default_warning_percents,
        validators=[_validate_percent_list],
    )
    escalation_minutes = models.JSONField(
        _("escalate this long after the due time (minutes)"),
        default=default_escalation_minutes,
        validators=[_validate_minute_list],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["severity", "category__code", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")


class SlaTarget(models.Model):
    """One deadline of a policy, elapsed or in business time."""

    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(_("deadline"), max_length=24, choices=TargetKind.choices)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=DurationUnit.choices)
    resolution_types = models.JSONField(
        _("only for these resolution types"), default=list, blank=True
    )

    class Meta:
        ordering = ["policy", "kind", "id"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="sla_target_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount} {self.get_unit_display()}"

    def clean(self) -> None:
        unknown = set(self.resolution_types or []) - set(ResolutionType.values)
        if unknown:
            raise ValidationError(
                {
                    "resolution_types": _("Unknown resolution types: %(types)s")
                    % {"types": ", ".join(sorted(unknown))}
                }
            )


def default_week() -> list[list[list[str]]]:
    office = [["09:00", "12:00"], ["13:00", "18:00"]]
    return [office] * 5 + [[], []]


class StoreCalendar(models.Model):
    """A store's working hours; the time zone is the store's own."""

    store = models.OneToOneField(
        Store, on_delete=models.CASCADE, related_name="calendar"
    )
    week = models.JSONField(
        _("working hours, Monday first"),
        default=default_week,
        help_text=_('Seven lists of ["HH:MM", "HH:MM"] periods; empty = closed.'),
    )
    observes_public_holidays = models.BooleanField(
        _("observe mainland China public holidays and make-up days"), default=True
    )
    working_days_meaning = models.CharField(
        _("meaning of N working days"),
        max_length=12,
        choices=[
            (WorkingDaysMeaning.END_OF_DAY.value, _("end of the Nth working day")),
            (WorkingDaysMeaning.HOURS.value, _("N × a working day's hours")),
        ],
        default=WorkingDaysMeaning.END_OF_DAY.value,
    )

    class Meta:
        verbose_name = _("store calendar")
        verbose_name_plural = _("store calendars")

    def __str__(self) -> str:
        return str(self.store)


class CalendarDay(models.Model):
    """A store's own closed day or extra open day."""

    calendar = models.ForeignKey(
        StoreCalendar, on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("date"))
    is_open = models.BooleanField(_("open"), default=False)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "day"], name="sla_calendar_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day.isoformat()} {'open' if self.is_open else 'closed'}"


def parse_period(pair: list[str]) -> tuple[dt.time, dt.time]:
    return dt.time.fromisoformat(pair[0]), dt.time.fromisoformat(pair[1])


class ClockQuerySet(models.QuerySet["Clock"]):
    def running(self) -> ClockQuerySet:
        return self.filter(stopped_at__isnull=True, paused_at__isnull=True)

    def needing_attention(self, now: dt.datetime) -> ClockQuerySet:
        """Running clocks whose next checkpoint has passed (the reconcile sweep)."""
        return self.running().filter(next_check_at__lte=now)


class Clock(models.Model):
    """One deadline of one case: started, paused, due, met or breached (R-SLA-3)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(_("deadline"), max_length=24, choices=TargetKind.choices)
    target = models.ForeignKey(
        SlaTarget, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The target as it was applied: later policy edits do not move running clocks.
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=16, choices=DurationUnit.choices)
    pauses_while_waiting = models.BooleanField(default=True)
    warning_percents = models.JSONField(default=default_warning_percents)
    escalation_minutes = models.JSONField(default=default_escalation_minutes)
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    checkpoints_done = models.PositiveSmallIntegerField(default=0)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever the schedule changes; a task for an older version does nothing.
    version = models.PositiveIntegerField(default=1)

    objects = ClockQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline clock")
        verbose_name_plural = _("deadline clocks")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], name="sla_clock_one_per_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="sla_clock_next_check",
                condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True),
            ),
            models.Index(fields=["kind", "due_at"], name="sla_clock_kind_due"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.kind}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None

    def is_breached(self, now: dt.datetime) -> bool:
        if self.breached_at is not None:
            return True
        return self.stopped_at is None and self.paused_at is None and now >= self.due_at


class SweepQuerySet(models.QuerySet["Sweep"]):
    def claim(
        self, name: str, *, every: dt.timedelta, now: dt.datetime
    ) -> dt.datetime | None:
        """Claim this round of the sweep `name`; returns when the next one is due.

        None means another chain holds the schedule (its next run is still ahead):
        the caller neither sweeps nor enqueues a successor.
        """
        following = now + every
        self.get_or_create(name=name, defaults={"next_run_at": now})
        claimed = self.filter(name=name, next_run_at__lte=now).update(
            next_run_at=following
        )
        return following if claimed else None


class Sweep(models.Model):
    """When a periodic sweep runs next; claiming the slot keeps one chain alive.

    django-tasks has no periodic scheduler: the sweep task re-enqueues itself. A task
    continues the chain only if it moves `next_run_at` forward itself (an atomic
    update), so a second chain (say, seeded again by a restart) dies out at once.
    """

    name = models.CharField(max_length=40, unique=True)
    next_run_at = models.DateTimeField()

    objects = SweepQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name
