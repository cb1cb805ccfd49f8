"""`kesu demo`: load deterministic demo data (organisation, staff, ~2,400 cases)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.demo import generator
from kesu.demo.users import DEMO_USERS, STAFF


class Command(BaseCommand):
    help = (
        "Load demo data: departments, stores, products, staff with known passwords "
        "and N complaint cases received over the last six months, in every workflow "
        "state, with their timelines. The same --seed gives the same data. If the "
        "demo is already loaded, the command says so and changes nothing. There is "
        "no --reset on purpose: case timelines are append-only (R-SEC-4); to start "
        "over, delete the database (the SQLite file in KESU_HOME) and run migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cases",
            type=int,
            default=generator.DEFAULT_CASES,
            help=f"number of cases (default {generator.DEFAULT_CASES}; every workflow "
            "state appears from 8 cases on)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=generator.DEFAULT_SEED,
            help=f"random seed (default {generator.DEFAULT_SEED})",
        )

    def handle(self, *args: Any, cases: int, seed: int, **options: Any) -> None:
        if cases < 0:
            raise CommandError("--cases must be zero or more.")
        if generator.demo_present():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            return
        taken = generator.existing_usernames()
        if taken:
            raise CommandError(
                "These usernames are taken, so the demo staff cannot be created: "
                + ", ".join(taken)
            )
        started = time.monotonic()
        result = generator.load_demo(count=cases, seed=seed, progress=self._say)
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {result.cases} cases, {result.customers} customers, "
                f"{result.plans} plans and {result.events} events "
                f"in {seconds:.1f} s."
            )
        )
        for status, number in sorted(result.by_status.items()):
            self.stdout.write(f"  {status:<18} {number}")
        self.stdout.write(f"Demo logins ({len(STAFF)} staff):")
        for username, password, role, name in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {password:<16} {role:<11} {name}")

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
