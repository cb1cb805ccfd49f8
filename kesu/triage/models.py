"""Triage data: model versions (one active), labelled examples, rules."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.triage.ml.rules import REGEX_PREFIX, Rule


class ModelVersion(models.Model):
    """A trained classifier; the bundle is JSON + plain arrays, never a pickle."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    trained_from = models.CharField(_("trained from"), max_length=200, blank=True)
    examples = models.PositiveIntegerField(_("examples"), default=0)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    bundle = models.BinaryField(_("model file"))
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="triage_one_active_model",
            )
        ]

    def __str__(self) -> str:
        return self.version

    @property
    def holdout(self) -> dict[str, object]:
        """Retraining's comparison on held-out overrides (empty for other versions)."""
        return self.metrics.get("holdout") or {}

    @property
    def gold(self) -> dict[str, object]:
        """Retraining's comparison on the gold set (empty without the public data)."""
        return self.metrics.get("gold") or {}

    @property
    def decision_label(self) -> str:
        """The retraining verdict in a word or two, for tables."""
        code = self.metrics.get("decision", "")
        return str(DECISION_LABELS.get(code, code))

    @property
    def decision_text(self) -> str:
        """Why retraining activated this version or kept it ("" if not retrained)."""
        code = self.metrics.get("decision", "")
        return str(DECISIONS.get(code, code))


# Retraining's verdicts, stored as codes in ModelVersion.metrics["decision"].
DECISIONS = {
    "not_worse": _("Activated: not worse than the active model on held-out overrides."),
    "worse": _("Kept inactive: worse than the active model on held-out overrides."),
    "too_few_holdout": _(
        "Kept inactive: too few held-out overrides to compare; activate it by hand."
    ),
    "worse_on_gold": _(
        "Kept inactive: not worse on held-out overrides, but clearly worse on the "
        "gold set; it has learnt the corrections at the cost of everything else."
    ),
}


DECISION_LABELS = {
    "not_worse": _("Not worse"),
    "worse": _("Worse"),
    "too_few_holdout": _("Too few held out"),
    "worse_on_gold": _("Worse on the gold set"),
}


class RetrainStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


PENDING_STATUSES = (RetrainStatus.QUEUED, RetrainStatus.RUNNING)


class RetrainTrigger(models.TextChoices):
    BUTTON = "button", _("Retrain button")
    SCHEDULE = "schedule", _("New overrides")
    COMMAND = "command", _("Command line")


class RetrainRun(models.Model):
    """One retraining request: at most one is queued or running at any moment."""

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RetrainStatus.choices,
        default=RetrainStatus.QUEUED,
    )
    # Mirrors status (queued/running): the partial unique index on it is what makes a
    # double click or two workers queue one run, on SQLite and PostgreSQL alike.
    is_pending = models.BooleanField(_("pending"), default=True)
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=RetrainTrigger.choices
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    candidate = models.ForeignKey(
        ModelVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("candidate model"),
    )
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("retraining run")
        verbose_name_plural = _("retraining runs")
        constraints = [
            models.UniqueConstraint(
                fields=["is_pending"],
                condition=Q(is_pending=True),
                name="triage_one_pending_retrain",
            ),
            models.CheckConstraint(
                condition=Q(is_pending=True, status__in=PENDING_STATUSES)
                | (Q(is_pending=False) & ~Q(status__in=PENDING_STATUSES)),
                name="triage_retrain_pending_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.requested_at:%Y-%m-%d %H:%M}"


class ExampleSource(models.TextChoices):
    OVERRIDE = "override", _("Staff override")
    FILE = "file", _("Imported file")
    MANUAL = "manual", _("Labelled by hand")


class LabelledExample(models.Model):
    """A text with its correct category: staff overrides become training data."""

    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=60)
    subcategory = models.CharField(_("sub-category"), max_length=60, blank=True)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=ExampleSource.choices,
        default=ExampleSource.MANUAL,
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("labelled by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("labelled example")
        verbose_name_plural = _("labelled examples")

    def __str__(self) -> str:
        return f"{self.category}: {self.text[:40]}"


class RuleKind(models.TextChoices):
    SEVERITY = "severity", _("Severity")
    EMOTION = "emotion", _("Emotion")


class RuleValue(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    MAJOR = "major", _("Major")
    UNHAPPY = "unhappy", _("Unhappy")
    ANGRY = "angry", _("Angry")


class RuleLanguage(models.TextChoices):
    ANY = "", _("Any language")
    ZH = "zh", _("Chinese")
    EN = "en", _("English")


SEVERITY_VALUES = {RuleValue.URGENT, RuleValue.MAJOR}


class TriageRule(models.Model):
    """A keyword (or ``re:`` regex) that sets at least this severity or emotion."""

    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    value = models.CharField(_("sets"), max_length=20, choices=RuleValue.choices)
    language = models.CharField(
        _("language"), max_length=5, choices=RuleLanguage.choices, blank=True
    )
    pattern = models.CharField(
        _("keyword or pattern"),
        max_length=200,
        help_text=_("A keyword, or a regular expression starting with re:"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "value", "language", "pattern"]
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value", "language", "pattern"],
                name="triage_rule_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pattern} → {self.value}"

    def clean(self) -> None:
        if (self.kind == RuleKind.SEVERITY) != (self.value in SEVERITY_VALUES):
            raise ValidationError(
                {"value": _("This value does not belong to this kind.")}
            )
        if self.pattern.startswith(REGEX_PREFIX):
            try:
                re.compile(self.pattern[len(REGEX_PREFIX) :])
            except re.error as exc:
                raise ValidationError({"pattern": str(exc)}) from exc

    def as_rule(self) -> Rule:
        """The row as the pure-Python rule the predictor uses."""
        return Rule(self.kind, self.value, self.language, self.pattern)


class RoutingRule(models.Model):
    """Cases matching every field set here go to the department (R-CL-4).

    An empty field matches anything; among the matching rules the most specific one
    (most fields set) wins, then the lowest priority number.
    """

    category = models.ForeignKey(
        "cases.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"parent": None},
        verbose_name=_("category"),
    )
    subcategory = models.ForeignKey(
        "cases.Category",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"parent__isnull": False},
        verbose_name=_("sub-category"),
    )
    product = models.ForeignKey(
        "cases.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    store = models.ForeignKey(
        "accounts.Store",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("store"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=100,
        help_text=_("Between equally specific rules, the lower number wins."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        parts = [self.category, self.subcategory, self.product, self.store]
        match = " / ".join(str(p) for p in parts if p is not None) or _("anything")
        return f"{match} → {self.department}"

    def clean(self) -> None:
        sub = self.subcategory if self.subcategory_id else None
        if sub is not None and sub.parent_id != self.category_id:
            raise ValidationError(
                {"subcategory": _("The sub-category does not belong to the category.")}
            )

    @property
    def specificity(self) -> int:
        """How many fields the rule sets (more = more specific)."""
        fields = (self.category_id, self.subcategory_id, self.product_id, self.store_id)
        return sum(1 for value in fields if value is not None)


class CaseSignature(models.Model):
    """A case's MinHash signature and its near-duplicate cluster (R-CL-5).

    Derived data, rebuilt by `kesu near_duplicates backfill`: no database foreign key
    (Django still deletes it with its case), so the bench can load a million of them
    without a million cases and each insert skips a constraint check.
    """

    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("case"),
    )
    signature = models.BinaryField(_("signature"))
    # The stable cluster id: the id of the first case of the cluster. When a case
    # joins two clusters, the older (smaller) id is kept and the other renamed.
    cluster = models.BigIntegerField(_("cluster"), db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("case signature")
        verbose_name_plural = _("case signatures")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.cluster}"


class CaseBand(models.Model):
    """One LSH band key of a case: cases sharing a key are near-duplicate candidates.

    The composite key (key, case) is the only index: a lookup is one range scan per
    band key, answered from the index alone.
    """

    pk = models.CompositePrimaryKey("key", "case")
    key = models.BigIntegerField(_("band key"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
        verbose_name=_("case"),
    )

    class Meta:
        verbose_name = _("band key")
        verbose_name_plural = _("band keys")

    def __str__(self) -> str:
        return f"{self.key}: {self.case_id}"
