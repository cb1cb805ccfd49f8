"""Training: store model versions, switch the active one, keep labelled examples."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.cases.models import Category
from kesu.core.errors import InvalidInput, NotFound, PermissionDenied
from kesu.triage import model_selectors
from kesu.triage.ml import datasets
from kesu.triage.ml.model import TextModel
from kesu.triage.ml.predictor import Predictor
from kesu.triage.ml.training import Example, TrainingError, train
from kesu.triage.models import ExampleSource, LabelledExample, ModelVersion
from kesu.triage.selectors import predictor_reset

logger = logging.getLogger(__name__)

# Without the shipped training rows a business trains on its own examples alone: below
# this many (after the held-out slice) in at least two categories the model is noise.
MIN_OWN_EXAMPLES = 20
MIN_OWN_CATEGORIES = 2
# One override in HOLDOUT_BUCKETS (chosen by a hash of its case id, so the same ones
# every time) is never trained on and judges candidate against active model.
HOLDOUT_BUCKETS = 5
MIN_HOLDOUT = 5  # fewer held-out overrides than this cannot tell two models apart
# Where the gold set can be read, a candidate that fixes the business's corrections
# but loses more than this much macro-F1 there has overfitted them: it stays inactive.
GOLD_TOLERANCE = 0.02


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
            _activate(version)
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
def model_activate(*, version: str, by: User | None = None) -> ModelVersion:
    """Make ``version`` the active model ('default' = the shipped one); rollback too.

    ``by`` is the staff member asking (None: the command line).
    """
    if by is not None and not has_capability(by, Capability.MODELS_MANAGE):
        raise PermissionDenied("you may not change the triage model")
    chosen = _activate(version)
    logger.info("triage model activated: %s (by user %s)", version, by and by.pk)
    return chosen


def _activate(version: str) -> ModelVersion:
    if version == "default":
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        _reset_predictor()
        return ModelVersion(version="default")
    chosen = ModelVersion.objects.select_for_update().filter(version=version).first()
    if chosen is None:
        raise NotFound(f"no model version {version!r}", field="version")
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


@dataclass(frozen=True)
class RetrainData:
    """What a retraining learns from and is judged on."""

    own: list[Example]  # the business's examples, minus the held-out overrides
    holdout: list[Example]
    shipped: list[Example]  # the hand-labelled public rows, when the data are here
    data_root: Path | None


def is_held_out(key: str) -> bool:
    """Whether the override keyed ``case:<id>`` belongs to the held-out slice."""
    return zlib.crc32(key.encode()) % HOLDOUT_BUCKETS == 0


def retrain_data(*, data_dir: str | None = None) -> RetrainData:
    """Split the business's examples; add the shipped rows if the data are here."""
    own, holdout = [], []
    rows = LabelledExample.objects.values_list(
        "pk", "case_id", "source", "text", "category", "subcategory"
    )
    for pk, case_id, source, text, category, subcategory in rows.iterator():
        example = Example(text, category, subcategory)
        key = f"case:{case_id}" if case_id is not None else f"example:{pk}"
        if source == ExampleSource.OVERRIDE and is_held_out(key):
            holdout.append(example)
        else:
            own.append(example)
    try:
        root: Path | None = datasets.data_dir(data_dir)
    except datasets.DataMissingError as exc:
        if data_dir:  # asked for by name: a typo must not quietly train without it
            raise InvalidInput(str(exc), field="data_dir") from exc
        root = None
    # Imported here: scikit-learn loads on first use, not at every process start.
    from kesu.triage.ml.build import default_examples

    shipped = default_examples(root) if root is not None else []
    return RetrainData(own=own, holdout=holdout, shipped=shipped, data_root=root)


def _check_enough(data: RetrainData) -> None:
    if not data.own:
        raise InvalidInput(
            "there are no labelled examples to learn from yet "
            "(staff overrides or imported examples)",
            field="examples",
        )
    categories = {e.category for e in data.own}
    if not data.shipped and (
        len(data.own) < MIN_OWN_EXAMPLES or len(categories) < MIN_OWN_CATEGORIES
    ):
        raise InvalidInput(
            f"without the shipped training data (KESU_DATA_DIR), retraining needs at "
            f"least {MIN_OWN_EXAMPLES} labelled examples in at least "
            f"{MIN_OWN_CATEGORIES} categories besides the held-out overrides; "
            f"there are {len(data.own)} in {len(categories)}",
            field="examples",
        )


def _macro_f1(model: TextModel, examples: Sequence[Example]) -> float:
    from sklearn.metrics import f1_score  # on first use (see retrain_data)

    # Category only: severity and emotion come from rules that do not change here.
    predictions = Predictor(model, [], "").predict_many([e.text for e in examples])
    truth = [e.category for e in examples]
    predicted = [p.category for p in predictions]
    # Over every label either side uses, as `evaluation.evaluate` (without its
    # confusion matrix, which warns when a held-out slice has one label only).
    labels = sorted(set(truth) | set(predicted))
    score = f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
    return round(float(score), 4)


@dataclass(frozen=True)
class Comparison:
    """Category macro-F1 of the candidate and of the active model on the same texts."""

    n: int
    candidate: float | None
    active: float | None

    @classmethod
    def of(
        cls, candidate: TextModel, active: TextModel, examples: Sequence[Example]
    ) -> Comparison:
        """Score both models on ``examples`` (no figures for no examples)."""
        if not examples:
            return cls(0, None, None)
        return cls(
            len(examples), _macro_f1(candidate, examples), _macro_f1(active, examples)
        )

    def decision(self, gold: Comparison | None = None) -> str:
        """The safety rule: activate only if not worse on enough held-out overrides
        (and, where the gold set is scored, not clearly worse there)."""
        if self.n < MIN_HOLDOUT or self.candidate is None or self.active is None:
            return "too_few_holdout"
        if self.candidate < self.active:
            return "worse"
        if gold is not None and gold.worse_by_more_than(GOLD_TOLERANCE):
            return "worse_on_gold"
        return "not_worse"

    def worse_by_more_than(self, tolerance: float) -> bool:
        if self.candidate is None or self.active is None:
            return False
        return self.candidate < self.active - tolerance


def _gold(root: Path) -> list[Example]:
    rows = [g for g in datasets.gold() if g.is_usable]
    texts = datasets.gold_texts(root, rows)
    return [Example(t, g.category) for t, g in zip(texts, rows, strict=True)]


def model_retrain(*, data_dir: str | None = None) -> ModelVersion:
    """Train a candidate on the business's examples (plus the shipped rows when the
    data are here) and activate it only if it is not worse on held-out overrides."""
    data = retrain_data(data_dir=data_dir)
    _check_enough(data)
    examples = [*data.shipped, *data.own]
    examples_check(examples=[*examples, *data.holdout])
    version = _new_version()
    try:
        candidate = train(examples, meta={"version": version, "data": "retrain"})
    except TrainingError as exc:
        raise InvalidInput(str(exc), field="examples") from exc
    active_version, active = model_selectors.active_model()
    holdout = Comparison.of(candidate, active, data.holdout)
    gold = None
    if data.data_root is not None:
        gold = Comparison.of(candidate, active, _gold(data.data_root))
    decision = holdout.decision(gold)
    with transaction.atomic():
        stored = ModelVersion.objects.create(
            version=version,
            trained_from="retrain",
            examples=len(examples),
            metrics={
                "classes": candidate.meta["classes"],
                "train_seconds": candidate.meta["train_seconds"],
                "own_examples": len(data.own),
                "shipped_examples": len(data.shipped),
                "holdout": {**asdict(holdout), "active_version": active_version},
                "gold": asdict(gold) if gold else None,
                "decision": decision,
            },
            bundle=candidate.to_bytes(),
        )
        if decision == "not_worse":
            stored = _activate(version)
    # Figures and counts only: example texts may hold customers' personal data.
    logger.info(
        "triage retrain: candidate %s, %d own + %d shipped examples, held-out "
        "macro-F1 %s vs %s (%s, n=%s), gold %s vs %s, %s",
        version,
        len(data.own),
        len(data.shipped),
        holdout.candidate,
        holdout.active,
        active_version,
        holdout.n,
        gold and gold.candidate,
        gold and gold.active,
        decision,
    )
    return stored
