"""Triage reads: model versions, the active predictor (cached per process), repeats."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from kesu.cases.models import Case, CaseEvent
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
