"""`kesu bench`: the benchmark suite in bench/ (run from a source checkout)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

import kesu

# bench/ sits beside the kesu package in a checkout; it is not installed with it.
CHECKOUT = Path(kesu.__file__).resolve().parent.parent


class Command(BaseCommand):
    help = "Benchmarks and the large data set generator (see `kesu bench --help`)."

    def run_from_argv(self, argv: list[str]) -> None:
        # The suite has its own argparse parser; Django's would reject its options.
        if not (CHECKOUT / "bench" / "cli.py").exists():
            raise CommandError("kesu bench runs from a source checkout (no bench/).")
        if str(CHECKOUT) not in sys.path:
            sys.path.insert(0, str(CHECKOUT))
        from bench.cli import main

        code = main(argv[2:])
        if code:
            sys.exit(code)

    def handle(self, *args: Any, **options: Any) -> None:
        raise CommandError("Run `kesu bench` from the command line.")
