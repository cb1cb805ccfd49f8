"""`kesu reencrypt_pii`: rewrite personal data under the newest KESU_PII_KEYS key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, router, transaction
from django.db.models.functions import Cast

from kesu.privacy import crypto
from kesu.privacy.fields import EncryptedTextField

HELP = """\
Re-encrypt every column stored with EncryptedTextField (found through the app registry)
under the newest key of KESU_PII_KEYS, in batches of one transaction each. Values
already under the newest key are skipped, so the command is safe to interrupt and to
run again. Rotation: put the new key first in KESU_PII_KEYS, keep the old ones behind
it, restart, run this command until it reports 0 values re-encrypted, then remove the
old keys. Blind indexes (phone/e-mail look-up) are keyed with KESU_BLIND_INDEX_KEY and
are not touched. That key cannot be rotated this way: the old one does not stay
usable beside the new one, so stop all writers, set the new key, recompute every
Customer.phone_index and email_index from the decrypted values with
kesu.privacy.crypto.phone_index/email_index (e.g. in `kesu shell`), then restart.
"""


@dataclass
class Tally:
    """What one model's pass found."""

    rows_checked: int = 0
    values_rotated: int = 0
    values_current: int = 0
    failed_pks: list[Any] = field(default_factory=list)


def encrypted_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every concrete model with its EncryptedTextField attribute names."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField)
        ]
        if names:
            found.append((model, names))
    return found


def _raw(name: str) -> str:
    # The annotation reads the stored token: a plain TextField skips from_db_value.
    return f"_raw_{name}"


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Rows per transaction (default 500).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be re-encrypted; write nothing.",
        )

    def handle(
        self, *args: Any, batch_size: int, dry_run: bool, **options: Any
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        rotated = current = 0
        failures: list[str] = []
        for model, names in encrypted_columns():
            tally = self._model(model, names, batch_size=batch_size, dry_run=dry_run)
            rotated += tally.values_rotated
            current += tally.values_current
            failures += [f"{model._meta.label} pk={pk}" for pk in tally.failed_pks]
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(
            f"{verb} {rotated} values; {current} already under the newest key."
        )
        if failures:
            raise CommandError(
                "These rows hold values no configured key decrypts: "
                + ", ".join(failures)
            )

    def _model(
        self,
        model: type[models.Model],
        names: list[str],
        *,
        batch_size: int,
        dry_run: bool,
    ) -> Tally:
        tally = Tally()
        label = model._meta.label
        using = router.db_for_write(model)
        # The base manager: append-only managers refuse update(), custom default
        # managers may hide rows, and every row must be rewritten.
        queryset = model._base_manager.using(using).order_by("pk")
        total = queryset.count()
        last_pk = None
        while True:
            with transaction.atomic(using=using):
                batch = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
                # Locked so a concurrent edit cannot be overwritten by its old value.
                rows = list(
                    batch.select_for_update()
                    .annotate(**{_raw(n): Cast(n, models.TextField()) for n in names})
                    .values_list("pk", *[_raw(n) for n in names])[:batch_size]
                )
                if not rows:
                    break
                for pk, *tokens in rows:
                    self._row(queryset, names, pk, tokens, tally, dry_run=dry_run)
            last_pk = rows[-1][0]
            tally.rows_checked += len(rows)
            self.stdout.write(
                f"{label}: {tally.rows_checked}/{total} rows checked, "
                f"{tally.values_rotated} values re-encrypted"
            )
        return tally

    def _row(
        self,
        queryset: models.QuerySet[Any],
        names: list[str],
        pk: Any,
        tokens: list[str | None],
        tally: Tally,
        *,
        dry_run: bool,
    ) -> None:
        changes: dict[str, models.Value] = {}
        try:
            for name, token in zip(names, tokens, strict=True):
                if not token:
                    continue
                if crypto.is_current(token):
                    tally.values_current += 1
                    continue
                rotated = crypto.rotate(token)
                changes[name] = models.Value(rotated, output_field=models.TextField())
        except InvalidToken:
            tally.failed_pks.append(pk)
            return
        tally.values_rotated += len(changes)
        if changes and not dry_run:
            # A Value with a plain TextField is written as is: the encrypted field's
            # get_prep_value would encrypt the token a second time.
            queryset.filter(pk=pk).update(**changes)
