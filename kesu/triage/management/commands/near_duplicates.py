"""`kesu near_duplicates backfill [--rebuild]`: sign existing cases (R-CL-5)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from kesu.triage import services


class Command(BaseCommand):
    help = "Compute near-duplicate signatures and clusters for cases without them."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        backfill = sub.add_parser(
            "backfill", help="Sign every case without a signature (idempotent)."
        )
        backfill.add_argument(
            "--rebuild",
            action="store_true",
            help="forget all signatures and clusters first (after a parameter change)",
        )
        backfill.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        recorded = services.signatures_backfill(
            rebuild=options["rebuild"],
            batch_size=max(1, options["batch_size"]),
            progress=lambda n: self.stdout.write(f"  {n:,} cases looked at"),
        )
        self.stdout.write(f"{recorded:,} signatures recorded")
