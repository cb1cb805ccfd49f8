"""The case core: taxonomy, customers, cases, their timeline and work items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, LocalizedNameMixin, Store
from kesu.cases.workflow import CLOSED_STATES, Status
from kesu.core.models import AppendOnlyModel
from kesu.privacy import masking
from kesu.privacy.fields import EncryptedTextField


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in / in store")
    WEB = "web", _("Web form")
    API = "api", _("App / API")
    EMAIL = "email", _("E-mail")
    IMPORT = "import", _("Platform import")
    SOCIAL = "social", _("Social media")
    INTERNAL = "internal", _("Internal record")


class Severity(models.TextChoices):
    GENERAL = "general", _("General")
    URGENT = "urgent", _("Urgent")
    MAJOR = "major", _("Major")


class ImpactGrade(models.TextChoices):
    A = "A", _("A (wide impact)")
    B = "B", _("B (limited impact)")
    C = "C", _("C (single customer)")


class ResolutionType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    EXCHANGE = "exchange", _("Exchange")
    RETURN_REFUND = "return_refund", _("Return and refund")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")
    COMPENSATION_COUPON = "compensation_coupon", _("Compensation: coupon")
    COMPENSATION_SERVICE = "compensation_service", _("Compensation: free service")
    COMPENSATION_CASH = "compensation_cash", _("Compensation: cash")
    APOLOGY = "apology", _("Apology")
    EXPLANATION = "explanation", _("Explanation")


class Responsibility(models.TextChoices):
    MANUFACTURER = "manufacturer", _("Manufacturer")
    TECHNICIAN = "technician", _("Technician")
    SOFTWARE_VENDOR = "software_vendor", _("Software vendor")
    STORE = "store", _("Store")
    EMPLOYEE = "employee", _("Named employee")
    CUSTOMER = "customer", _("Customer")
    UNDETERMINED = "undetermined", _("Undetermined")


class VerificationResult(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    PARTLY_CONFIRMED = "partly_confirmed", _("Partly confirmed")
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed")


class FeedbackResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    PARTLY_SATISFIED = "partly_satisfied", _("Partly satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


class Category(LocalizedNameMixin):
    """A node of the complaint taxonomy: a top-level category or a sub-category."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class Product(LocalizedNameMixin):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    model_number = models.CharField(_("model"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")


class Customer(models.Model):
    """A complainant: personal data encrypted; phone and e-mail blind-indexed."""

    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    phone_index = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    email_index = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.masked_name or f"#{self.pk}"

    @property
    def masked_name(self) -> str:
        return masking.mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return masking.mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return masking.mask_email(self.email) if self.email else ""

    @property
    def masked_address(self) -> str:
        return masking.mask_address(self.address)


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.exclude(status__in=CLOSED_STATES)

    def with_list_relations(self) -> CaseQuerySet:
        return self.select_related(
            "customer",
            "store",
            "category",
            "subcategory",
            "department",
            "owner",
            "assignee",
        )


class Case(models.Model):
    number = models.CharField(
        _("case number"), max_length=20, unique=True, editable=False
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("customer"),
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("product"),
    )
    product_model = models.CharField(_("product / model"), max_length=120, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    purchased_on = models.DateField(_("purchase date"), null=True, blank=True)
    order_number = models.CharField(_("order number"), max_length=80, blank=True)
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="cases", verbose_name=_("store")
    )
    description = models.TextField(_("description"))
    demand = models.TextField(_("customer's demand"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    subcategory = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sub-category"),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    impact_grade = models.CharField(
        _("impact grade"),
        max_length=1,
        choices=ImpactGrade.choices,
        default=ImpactGrade.C,
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("department"),
    )
    # 首问负责 (R-CL-4): the receiving user owns the case for its whole life and
    # stays the customer's single contact; only `case_handover` changes it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        verbose_name=_("owner (first contact)"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    status_before_wait = models.CharField(
        max_length=20, choices=Status.choices, blank=True, editable=False
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    verification_result = models.CharField(
        _("verification result"),
        max_length=20,
        choices=VerificationResult.choices,
        blank=True,
    )
    verification_note = models.TextField(_("verification note"), blank=True)
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True
    )
    responsible_employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible employee"),
    )
    resolution_type = models.CharField(
        _("resolution"), max_length=30, choices=ResolutionType.choices, blank=True
    )
    compensation_amount = models.DecimalField(
        _("compensation amount"), max_digits=10, decimal_places=2, default=Decimal(0)
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    customer_accepted = models.BooleanField(
        _("customer accepted"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    feedback_result = models.CharField(
        _("feedback result"), max_length=20, choices=FeedbackResult.choices, blank=True
    )
    feedback_note = models.TextField(_("feedback note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # jieba-segmented text, space separated, fed to SQLite FTS5 / PostgreSQL tsvector.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The list's order: page 1 of a large scope is a walk of this index.
            models.Index(fields=["-received_at", "-id"], name="case_received"),
            models.Index(
                fields=["status", "-received_at"], name="case_status_received"
            ),
            # A team's queue by state and period (the common filtered list).
            models.Index(
                fields=["department", "status", "-received_at"],
                name="case_dept_status_received",
            ),
            models.Index(fields=["owner", "status"], name="case_owner_status"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["store", "-received_at"], name="case_store_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.REJECTED) | ~Q(rejection_reason=""),
                name="case_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ARCHIVED) | ~Q(feedback_result=""),
                name="case_archive_has_feedback",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.FEEDBACK, Status.ARCHIVED])
                | ~Q(resolution_type=""),
                name="case_feedback_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.AWAITING_CUSTOMER)
                | ~Q(status_before_wait=""),
                name="case_waiting_knows_previous",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATES


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    CUSTOMER = "customer", _("Customer-visible")


class CaseEvent(AppendOnlyModel):
    """One entry of a case's append-only timeline (R-SEC-4).

    `data` never holds personal data in clear: an unmask event names the fields,
    not their values.
    """

    # `event_case_created` (case, created_at) serves lookups by case.
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Indexed in Meta: `db_index` would add a LIKE twin on PostgreSQL, never used.
    type = models.CharField(max_length=40)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="event_case_created"),
            models.Index(fields=["type"], name="event_type"),
        ]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.type} @ {self.created_at:%Y-%m-%d %H:%M}"


class CaseNumberCounter(models.Model):
    """Last case number used per local date; incremented by one atomic upsert."""

    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class ApprovalStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("Not required")
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class HandlingPlan(models.Model):
    """A proposed handling plan (处理方案, R-WF-2); the newest is the case's plan."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    resolution_type = models.CharField(
        _("resolution"), max_length=30, choices=ResolutionType.choices
    )
    compensation_amount = models.DecimalField(
        _("compensation amount"), max_digits=10, decimal_places=2, default=Decimal(0)
    )
    description = models.TextField(_("plan"))
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True
    )
    responsible_employee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible employee"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    approval_status = models.CharField(
        max_length=20,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.NOT_REQUIRED,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        get_latest_by = ["proposed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_resolution_type_display()} ({self.compensation_amount})"


class CollaborationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class CollaborationRequest(models.Model):
    """A request for help from another department, with its own due time (R-WF-3)."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="collaborations"
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    request = models.TextField(_("request"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        max_length=10,
        choices=CollaborationStatus.choices,
        default=CollaborationStatus.OPEN,
    )
    response = models.TextField(_("response"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.department} ← {self.request[:30]}"

    def is_overdue(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.status == CollaborationStatus.OPEN and self.due_at < now


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.number}/{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class TemplateStage(models.TextChoices):
    LISTENING = "listening", _("Listening")
    EMPATHY = "empathy", _("Empathy")
    APOLOGY = "apology", _("Apology")
    SOLUTION = "solution", _("Solution")
    CLOSING = "closing", _("Closing")


class ReplyTemplate(models.Model):
    """A reply script with placeholders like {customer_title} (R-WF-6)."""

    title = models.CharField(_("title"), max_length=100)
    stage = models.CharField(_("stage"), max_length=20, choices=TemplateStage.choices)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["stage", "title"]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.title
