"""`kesu createtoken USERNAME [--name N] [--scope S …]`: issue an API token."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.accounts.models import User
from kesu.api.auth import CASES_READ, SCOPES
from kesu.api.models import ApiToken


class Command(BaseCommand):
    help = (
        "Issue an API token for a user and print it once (it is stored hashed). "
        "Without --scope the token may only read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument(
            "--scope",
            action="append",
            choices=sorted(SCOPES),
            dest="scopes",
            help=f"repeat for several scopes (default: {CASES_READ})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user {options['username']!r}.")
        scopes = sorted(set(options["scopes"] or [CASES_READ]))
        token, raw = ApiToken.issue(user=user, name=options["name"], scopes=scopes)
        # The key alone on stdout, so `kesu createtoken x > key.txt` captures only it.
        self.stderr.write(
            f"Token {token.key_hint}… for {user.username} ({', '.join(scopes)}); "
            "it is shown once:"
        )
        self.stdout.write(raw)
