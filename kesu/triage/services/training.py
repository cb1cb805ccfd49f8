"""Training: store model versions, switch the active one, keep labelled examples."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from kesu.cases.models import Category
from kesu.core.errors import InvalidInput, NotFound
from kesu.triage.ml.training import Example, TrainingError, train
from kesu.triage.models import ExampleSource, LabelledExample, ModelVersion
from kesu.triage.selectors import predictor_reset


def examples_check(*, examples: Sequence[Example]) -> None:
    """Refuse labels that are not categories of the taxonomy (typos train nonsense)."""
    known = set(Category.objects.filter(parent=None).values_list("code", flat=True))
    unknown = sorted({e.category for e in examples} - known)
    if known and unknown:
        raise InvalidInput(
            f"unknown category label(s): {', '.join(unknown[:10])}; "
            f"expected one of {', '.join(sorted(known))}",
            field="label",
        )


def model_train(
    *, examples: Sequence[Example], trained_from: str, activate: bool = False
) -> ModelVersion:
    """Train a new model version from labelled examples and store it."""
    examples_check(examples=examples)
    version = _new_version()
    try:
        model = train(examples, meta={"version": version, "data": trained_from})
    except TrainingError as exc:
        raise InvalidInput(str(exc), field="label") from exc
    with transaction.atomic():
        stored = ModelVersion.objects.create(
            version=version,
            trained_from=trained_from,
            examples=len(examples),
            metrics={
                "classes": model.meta["classes"],
                "train_seconds": model.meta["train_seconds"],
            },
            bundle=model.to_bytes(),
        )
        if activate:
            model_activate(version=version)
    return stored


def _reset_predictor() -> None:
    # Now, for the rest of this transaction; again on commit, in case another thread
    # reloaded the old model in between.
    predictor_reset()
    transaction.on_commit(predictor_reset)


def _new_version() -> str:
    base = timezone.now().strftime("%Y%m%d-%H%M%S")
    version, n = base, 1
    while ModelVersion.objects.filter(version=version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


@transaction.atomic
def model_activate(*, version: str) -> ModelVersion:
    """Make ``version`` the active model ('default' = the shipped one); rollback too."""
    if version == "default":
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        _reset_predictor()
        return ModelVersion(version="default")
    chosen = ModelVersion.objects.select_for_update().filter(version=version).first()
    if chosen is None:
        raise NotFound(f"no model version {version!r}")
    # Clear first: the partial unique index allows one active row at any moment.
    ModelVersion.objects.filter(is_active=True).exclude(pk=chosen.pk).update(
        is_active=False
    )
    chosen.is_active = True
    chosen.save(update_fields=["is_active"])
    _reset_predictor()
    return chosen


def examples_from_db() -> list[Example]:
    """Every labelled example in the database (overrides, imports, hand labels)."""
    return [
        Example(text, category, subcategory)
        for text, category, subcategory in LabelledExample.objects.values_list(
            "text", "category", "subcategory"
        )
    ]


def example_record(
    *,
    text: str,
    category: str,
    subcategory: str = "",
    source: str = ExampleSource.MANUAL,
    case_id: int | None = None,
    by_id: int | None = None,
) -> LabelledExample:
    """Keep a labelled text (e.g. a staff override) for the next training run."""
    if not text.strip():
        raise InvalidInput("the text is empty", field="text")
    return LabelledExample.objects.create(
        text=text,
        category=category,
        subcategory=subcategory,
        source=source,
        case_id=case_id,
        created_by_id=by_id,
    )
