"""Triage reads: model versions, the active predictor (cached per process), repeats,
and the latest automatic triage of a case as staff see it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Department, User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.models import Case, CaseEvent, Category, Severity
from kesu.cases.selectors import case_scope
from kesu.triage.ml.model import TextModel
from kesu.triage.ml.predictor import Predictor
from kesu.triage.models import ModelVersion, TriageRule

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "default.kesu"
CACHE_SECONDS = 60  # other processes see a new active model or edited rules this late

_lock = threading.Lock()
_cached: tuple[float, Predictor] | None = None


def model_version_list() -> QuerySet[ModelVersion]:
    """Stored model versions, newest first, without their (large) model files."""
    return ModelVersion.objects.defer("bundle")


def active_predictor() -> Predictor:
    """The predictor for new cases: the active version, else the shipped default."""
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            _cached = (time.monotonic(), _load_predictor())
        return _cached[1]


def predictor_reset() -> None:
    """Forget the cached predictor (after activation or a rule edit in this process)."""
    global _cached
    with _lock:
        _cached = None


def _load_predictor() -> Predictor:
    rules = [rule.as_rule() for rule in TriageRule.objects.filter(is_active=True)]
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None:
        model = TextModel.load(DEFAULT_MODEL)
        return Predictor(model, rules, str(model.meta.get("version", "default")))
    return Predictor(TextModel.from_bytes(bytes(active.bundle)), rules, active.version)


@dataclass(frozen=True)
class RepeatStats:
    cases: int
    repeats: int

    @property
    def rate(self) -> float:
        """Share of the cases that repeat an earlier complaint (0 with no cases)."""
        return self.repeats / self.cases if self.cases else 0.0


def repeat_stats(*, cases: QuerySet[Case]) -> RepeatStats:
    """How many of these (already scoped) cases were linked as repeats (R-CL-5)."""
    linked = CaseEvent.objects.filter(case=OuterRef("pk"), type="case.repeat_linked")
    counted = cases.order_by().aggregate(
        total=Count("pk"), repeats=Count("pk", filter=Q(Exists(linked)))
    )
    return RepeatStats(cases=counted["total"], repeats=counted["repeats"])


EMOTION_LABELS = {"calm": _("Calm"), "unhappy": _("Unhappy"), "angry": _("Angry")}
LANGUAGE_LABELS = {"zh": _("Chinese"), "en": _("English")}
MATCH_LABELS = {"product": _("same product"), "category": _("same category")}
FIELD_LABELS = {
    "category": _("Category"),
    "subcategory": _("Sub-category"),
    "severity": _("Severity"),
    "emotion": _("Emotion"),
    "department": _("Department"),
}
CLASSIFIED_FIELDS = ("category", "subcategory", "severity")
THRESHOLD_FIELDS = ("category", "severity")  # KESU_TRIAGE_APPLY_CONFIDENCE decides


@dataclass(frozen=True)
class TriageField:
    """One field as triage predicted it, and what became of it on the case."""

    name: str
    label: str
    value: str  # the predicted code; "" when triage had no confident guess
    display: str
    confidence: float | None  # None: none recorded, or a routing rule chose it
    is_applied: bool
    is_changed: bool  # staff have since set something else
    # The confidence from which triage applies this field; None when no threshold
    # decides it (the sub-category follows its category, emotion is never applied).
    threshold: float | None = None

    @property
    def percent(self) -> int | None:
        return _percent(self.confidence)

    @property
    def threshold_percent(self) -> int | None:
        return _percent(self.threshold)


@dataclass(frozen=True)
class RepeatLink:
    """The earlier case a repeat complaint was linked to (R-CL-5)."""

    number: str
    url: str  # "" when the viewer may not open the earlier case
    match: str
    match_display: str


@dataclass(frozen=True)
class TriageSummary:
    """The latest automatic triage of a case, for the case page and the API."""

    triaged_at: dt.datetime
    is_applied: bool  # a `case.classified` event, not only a `triage.suggested`
    needs_triage: bool  # open and still without a category (the triage queue)
    model_version: str
    language: str
    language_display: str
    threshold: float | None
    reasons: list[str]  # the rule words that fired
    fields: list[TriageField]
    repeat_of: RepeatLink | None

    @property
    def threshold_percent(self) -> int | None:
        return _percent(self.threshold)


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def case_triage_summary(*, case: Case, user: User) -> TriageSummary | None:
    """The case's latest automatic triage, or None without one (R-CL-3, R-CL-5).

    Expects the case from `case_get` (its category, sub-category and department
    loaded). One query reads the events; a second names only what the case itself
    does not hold (a suggestion not taken, a department changed since). Triage is
    internal, like the events it comes from.
    """
    if not has_capability(user, Capability.CASE_SEE_INTERNAL):
        return None
    found = _Found.scan(_triage_events(case=case, user=user))
    if found.triage is None:
        return None
    record: dict[str, Any] = found.triage.data["triage"]
    suggestion = record.get("suggestion") or {}
    routed_id = found.routed_department_id()
    names = _names(case, suggestion, routed_id)
    fields = [
        *_classified_fields(case, record, names, found.classified_since),
        _emotion_field(suggestion, record),
    ]
    if routed_id is not None:
        fields.append(_department_field(case, routed_id, names, found.assigned_since))
    language = str(suggestion.get("language") or "")
    return TriageSummary(
        triaged_at=found.triage.created_at,
        is_applied=found.triage.type == "case.classified",
        needs_triage=case.category_id is None and not case.is_closed,
        model_version=str(record.get("model_version") or ""),
        language=language,
        language_display=str(LANGUAGE_LABELS.get(language, language)),
        threshold=_number(record.get("threshold")),
        reasons=[str(word) for word in record.get("reasons") or []],
        fields=fields,
        repeat_of=_repeat_link(found.repeat),
    )


def _triage_events(*, case: Case, user: User) -> QuerySet[CaseEvent]:
    system = Q(actor__isnull=True) & (
        Q(type__in=("triage.suggested", "case.repeat_linked"))
        | Q(type="case.classified", data__has_key="triage")
        | Q(type="case.assigned", data__has_key="routing")
    )
    staff = Q(actor__isnull=False, type__in=("case.classified", "case.assigned"))
    # The earlier case of a repeat may lie outside the viewer's scope: link it only
    # when they may open it, checked in this same query.
    visible = Case.objects.filter(case_scope(user), pk=OuterRef("earlier_id"))
    events: QuerySet[CaseEvent] = (
        case.events.filter(system | staff)
        .annotate(earlier_id=Cast(KT("data__earlier"), IntegerField()))
        .annotate(is_earlier_visible=Exists(visible))
        .order_by("created_at", "pk")
    )
    return events


@dataclass
class _Found:
    triage: CaseEvent | None = None
    repeat: CaseEvent | None = None
    routed: CaseEvent | None = None
    classified_since: bool = False  # staff classified after the latest triage
    assigned_since: bool = False  # staff assigned after the latest routing

    @classmethod
    def scan(cls, events: QuerySet[CaseEvent]) -> _Found:
        found = cls()
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            if event.actor_id is not None and event.type == "case.classified":
                found.classified_since = True
            elif event.actor_id is not None:
                found.assigned_since = True
            elif event.type == "case.repeat_linked":
                found.repeat = event
            elif "routing" in data:
                found.routed, found.assigned_since = event, False
            elif isinstance(data.get("triage"), dict):
                found.triage, found.classified_since = event, False
        return found

    def routed_department_id(self) -> int | None:
        to = self.routed.data.get("to") if self.routed else None
        department = to.get("department") if isinstance(to, dict) else None
        return department if isinstance(department, int) else None


Names = dict[tuple[str, str], tuple[str, str]]  # (kind, key) -> (code, display name)


def _names(case: Case, suggestion: dict[str, Any], department_id: int | None) -> Names:
    """Display names of the predicted categories and the routed department.

    The case's own category, sub-category and department are loaded already; the
    rest (a suggestion not taken, a department changed since) costs one query.
    """
    names: Names = {}
    for held in (case.category, case.subcategory):
        if held is not None:
            names["category", held.code] = (held.code, held.display_name)
    if case.department is not None:
        held_department = case.department
        key = str(held_department.pk)
        names["department", key] = (held_department.code, held_department.display_name)
    wanted = {("category", str(suggestion.get(f) or "")) for f in CLASSIFIED_FIELDS[:2]}
    if department_id is not None:
        wanted.add(("department", str(department_id)))
    missing = {(kind, key) for kind, key in wanted if key and (kind, key) not in names}
    codes = [key for kind, key in missing if kind == "category"]
    ids = [int(key) for kind, key in missing if kind == "department"]
    parts: list[QuerySet[Any]] = []
    if codes:
        parts.append(_rows(Category.objects.filter(code__in=codes), "category", "code"))
    if ids:
        parts.append(_rows(Department.objects.filter(pk__in=ids), "department", "pk"))
    if parts:
        models = {"category": Category, "department": Department}
        for kind, key, code, name, name_en in parts[0].union(*parts[1:]):
            named = models[kind](name=name, name_en=name_en)
            names[kind, key] = (code, named.display_name)
    return names


def _rows(queryset: QuerySet[Any], kind: str, key: str) -> QuerySet[Any]:
    # A union needs the same column types on both sides: the key as text.
    rows: QuerySet[Any] = (
        queryset.order_by()
        .annotate(kind=Value(kind, CharField()), key=Cast(key, CharField()))
        .values_list("kind", "key", "code", "name", "name_en")
    )
    return rows


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _confidence(record: dict[str, Any], name: str) -> float | None:
    return _number((record.get("confidences") or {}).get(name))


def _classified_fields(
    case: Case, record: dict[str, Any], names: Names, classified_since: bool
) -> list[TriageField]:
    suggestion = record.get("suggestion") or {}
    applied = set(record.get("applied") or [])
    threshold = _number(record.get("threshold"))
    current = {
        "category": case.category.code if case.category else "",
        "subcategory": case.subcategory.code if case.subcategory else "",
        "severity": case.severity,
    }
    fields = []
    for name in CLASSIFIED_FIELDS:
        value = str(suggestion.get(name) or "")
        if name == "severity":
            display = str(dict(Severity.choices).get(value, value or "—"))
        else:
            display = names.get(("category", value), (value, value or "—"))[1]
        fields.append(
            TriageField(
                name=name,
                label=str(FIELD_LABELS[name]),
                value=value,
                display=display,
                confidence=_confidence(record, name),
                is_applied=name in applied,
                is_changed=classified_since and bool(value) and current[name] != value,
                threshold=threshold if name in THRESHOLD_FIELDS else None,
            )
        )
    return fields


def _emotion_field(suggestion: dict[str, Any], record: dict[str, Any]) -> TriageField:
    # A case has no emotion field: the emotion is only ever shown, never applied.
    value = str(suggestion.get("emotion") or "")
    return TriageField(
        name="emotion",
        label=str(FIELD_LABELS["emotion"]),
        value=value,
        display=str(EMOTION_LABELS.get(value, value or "—")),
        confidence=_confidence(record, "emotion"),
        is_applied=False,
        is_changed=False,
    )


def _department_field(
    case: Case, department_id: int, names: Names, assigned_since: bool
) -> TriageField:
    code, display = names.get(("department", str(department_id)), ("", "—"))
    return TriageField(
        name="department",
        label=str(FIELD_LABELS["department"]),
        value=code,
        display=display,
        confidence=None,
        is_applied=True,
        is_changed=assigned_since and case.department_id != department_id,
    )


def _repeat_link(event: CaseEvent | None) -> RepeatLink | None:
    if event is None or not event.data.get("earlier_number"):
        return None
    number = str(event.data["earlier_number"])
    match = str(event.data.get("match") or "")
    visible = getattr(event, "is_earlier_visible", False)
    return RepeatLink(
        number=number,
        url=reverse("cases:detail", args=[number]) if visible else "",
        match=match,
        match_display=str(MATCH_LABELS.get(match, match)),
    )
