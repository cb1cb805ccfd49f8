"""Reads for model retraining: the active model fresh from the database, the runs and
how many overrides came in since the last retraining."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from kesu.triage.ml.model import TextModel
from kesu.triage.models import (
    ExampleSource,
    LabelledExample,
    ModelVersion,
    RetrainRun,
    RetrainStatus,
)
from kesu.triage.selectors import DEFAULT_MODEL

RUNS_SHOWN = 5


def active_model() -> tuple[str, TextModel]:
    """The active version and its model, loaded now (not the per-process cache)."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None:
        model = TextModel.load(DEFAULT_MODEL)
        return str(model.meta.get("version", "default")), model
    return active.version, TextModel.from_bytes(bytes(active.bundle))


def retrain_baseline() -> dt.datetime | None:
    """Overrides after this moment are new: the later of the active model's training
    and the start of the last finished retraining (a rejected candidate used them)."""
    moments = [
        ModelVersion.objects.filter(is_active=True)
        .values_list("created_at", flat=True)
        .first(),
        RetrainRun.objects.filter(status=RetrainStatus.DONE)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first(),
    ]
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def new_override_count() -> int:
    """Staff overrides recorded since the last retraining (or ever, before one)."""
    overrides = LabelledExample.objects.filter(source=ExampleSource.OVERRIDE)
    baseline = retrain_baseline()
    if baseline is not None:
        overrides = overrides.filter(created_at__gt=baseline)
    return overrides.count()


def retrain_run_list() -> QuerySet[RetrainRun]:
    """The latest retraining runs, newest first, with who asked and the candidate."""
    return RetrainRun.objects.select_related("requested_by", "candidate").defer(
        "candidate__bundle"
    )[:RUNS_SHOWN]


@dataclass(frozen=True)
class RetrainState:
    """What the models page shows about retraining."""

    runs: list[RetrainRun]
    new_overrides: int
    threshold: int

    @property
    def pending(self) -> RetrainRun | None:
        """The queued or running run, if any (there is at most one)."""
        return next((run for run in self.runs if run.is_pending), None)


def retrain_state() -> RetrainState:
    """The recent runs and the periodic trigger's counter."""
    return RetrainState(
        runs=list(retrain_run_list()),
        new_overrides=new_override_count(),
        threshold=settings.KESU_TRIAGE_RETRAIN_MIN_NEW,
    )


VERSIONS_SHOWN = 50


@dataclass(frozen=True)
class ModelsOverview:
    """The models page: stored versions (newest first) and the retraining state."""

    versions: list[ModelVersion]
    retrain: RetrainState

    @property
    def is_default_active(self) -> bool:
        """Whether the shipped model answers (no stored version is active)."""
        return not any(version.is_active for version in self.versions)


def models_overview() -> ModelsOverview:
    """Everything the models page shows, without the model files."""
    versions = ModelVersion.objects.defer("bundle")[:VERSIONS_SHOWN]
    return ModelsOverview(versions=list(versions), retrain=retrain_state())


def model_version_names() -> list[str]:
    """Every stored version's name (what may be activated besides 'default')."""
    return list(ModelVersion.objects.values_list("version", flat=True))
