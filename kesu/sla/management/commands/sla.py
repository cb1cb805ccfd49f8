"""`kesu sla backfill|reconcile`: deadline upkeep from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kesu.cases.models import Case
from kesu.sla.services import clocks_reconcile, clocks_replay

BATCH = 500


class Command(BaseCommand):
    help = (
        "backfill: give cases without deadline clocks the clocks their timelines "
        "imply (after an upgrade or an import). reconcile: handle every deadline "
        "checkpoint that passed unnoticed, now (what the worker does every few "
        "minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["backfill", "reconcile"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "reconcile":
            self.stdout.write(f"Advanced {clocks_reconcile()} clocks.")
            return
        pending = Case.objects.filter(clocks__isnull=True).order_by("pk")
        total = pending.count()
        done, last = 0, 0
        # By key, not by "still without clocks": a case no target applies to stays so.
        while batch := list(pending.filter(pk__gt=last)[:BATCH]):
            for case in batch:
                clocks_replay(case=case)
            done, last = done + len(batch), batch[-1].pk
            self.stderr.write(f"\r{done}/{total} cases", ending="")
        self.stderr.write("")
        self.stdout.write(f"Deadline clocks backfilled for {done} cases.")
