"""`kesu triage train|retrain|evaluate|models|activate`: the classifier's lifecycle."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kesu.core.errors import DomainError
from kesu.triage import files, selectors, services
from kesu.triage.ml import build, datasets
from kesu.triage.ml.evaluation import evaluate
from kesu.triage.models import RetrainTrigger
from kesu.triage.services import retraining


class Command(BaseCommand):
    help = "Train, evaluate, list and activate triage models."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="Train a new model version.")
        source = train.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-db", action="store_true", help="labelled examples")
        source.add_argument(
            "--file", type=Path, help="CSV/XLSX with text,label columns"
        )
        train.add_argument("--activate", action="store_true", help="make it active")
        retrain = sub.add_parser(
            "retrain",
            help="Train on staff overrides and imports (plus the shipped rows); "
            "activate if not worse on held-out overrides.",
        )
        retrain.add_argument(
            "--data-dir", help="public data (shipped rows, gold); KESU_DATA_DIR"
        )
        evaluate_ = sub.add_parser("evaluate", help="Score the active model.")
        target = evaluate_.add_mutually_exclusive_group(required=True)
        target.add_argument(
            "file", nargs="?", type=Path, help="CSV/XLSX with text,label"
        )
        target.add_argument("--gold", action="store_true", help="the shipped gold set")
        evaluate_.add_argument(
            "--data-dir", help="public data (gold texts); KESU_DATA_DIR"
        )
        evaluate_.add_argument(
            "--json", action="store_true", help="machine-readable output"
        )
        sub.add_parser("models", help="List model versions.")
        activate = sub.add_parser(
            "activate", help="Activate (or roll back to) a version."
        )
        activate.add_argument("version", help="a listed version, or 'default'")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (DomainError, datasets.DataMissingError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc

    def _train(self, options: dict[str, Any]) -> None:
        if options["from_db"]:
            examples, trained_from = services.examples_from_db(), "database"
        else:
            examples, trained_from = (
                files.read_labelled(options["file"]),
                str(options["file"]),
            )
        stored = services.model_train(
            examples=examples, trained_from=trained_from, activate=options["activate"]
        )
        state = "active" if options["activate"] else "not active"
        self.stdout.write(
            f"model {stored.version}: {stored.examples} examples, "
            f"{stored.metrics['train_seconds']} s, {state}"
        )

    def _retrain(self, options: dict[str, Any]) -> None:
        run, created = retraining.retrain_request(
            trigger=RetrainTrigger.COMMAND, enqueue=False
        )
        if not created:
            raise CommandError(
                f"a retraining is already {run.status} "
                f"(requested {run.requested_at:%Y-%m-%d %H:%M})"
            )
        done = retraining.retrain_run_execute(
            run_id=run.pk, data_dir=options["data_dir"]
        )
        if done is None or done.candidate is None:
            raise CommandError(done.message if done else "the run was taken elsewhere")
        stored = done.candidate
        metrics = stored.metrics
        self.stdout.write(
            f"model {stored.version}: {metrics['own_examples']} own + "
            f"{metrics['shipped_examples']} shipped examples"
        )
        for name in ("holdout", "gold"):
            figures = metrics.get(name)
            if figures:
                self.stdout.write(
                    f"{name}: n={figures['n']}  macro-F1 candidate "
                    f"{figures['candidate']}  active {figures['active']}"
                )
        self.stdout.write(str(stored.decision_text))

    def _evaluate(self, options: dict[str, Any]) -> None:
        if options["gold"]:
            root = datasets.data_dir(options["data_dir"])
            predictor = selectors.active_predictor()
            self.stdout.write(f"model {predictor.version}")
            results = build.evaluate_gold(predictor, root)
            if options["json"]:
                payload = {r.language: r.category.as_dict() for r in results}
                self.stdout.write(json.dumps(payload, indent=2))
                return
            for result in results:
                self.stdout.write(f"\n== gold {result.language}: category")
                self.stdout.write(result.category.report())
                self.stdout.write(f"\n== gold {result.language}: emotion")
                self.stdout.write(result.emotion.report())
            return
        examples = files.read_labelled(options["file"])
        predictor = selectors.active_predictor()
        self.stdout.write(f"model {predictor.version}")
        predictions = predictor.predict_many([e.text for e in examples])
        scored = evaluate(
            [e.category for e in examples], [p.category for p in predictions]
        )
        if options["json"]:
            self.stdout.write(json.dumps(scored.as_dict(), indent=2))
        else:
            self.stdout.write(scored.report())

    def _models(self, options: dict[str, Any]) -> None:
        active = False
        for version in selectors.model_version_list():
            active = active or version.is_active
            mark = "*" if version.is_active else " "
            self.stdout.write(
                f"{mark} {version.version}  {version.created_at:%Y-%m-%d %H:%M}  "
                f"{version.examples:>7} examples  {version.trained_from}"
                + _holdout(version.holdout)
            )
        self.stdout.write(f"{'  ' if active else '* '}default  (shipped)")

    def _activate(self, options: dict[str, Any]) -> None:
        chosen = services.model_activate(version=options["version"])
        self.stdout.write(f"active model: {chosen.version}")


def _holdout(figures: dict[str, object]) -> str:
    if not figures.get("n"):
        return ""
    return (
        f"  held-out macro-F1 {figures['candidate']} "
        f"(active then {figures['active']}, n={figures['n']})"
    )
