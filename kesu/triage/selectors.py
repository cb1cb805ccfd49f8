"""Triage reads: model versions and the active predictor (cached per process)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from django.db.models import QuerySet

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
