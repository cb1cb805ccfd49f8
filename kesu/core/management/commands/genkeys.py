"""`kesu genkeys`: fresh production secrets as lines for an env file."""

from __future__ import annotations

import secrets
from typing import Any

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand


def generate_keys() -> dict[str, str]:
    """New random values for every secret that KESU_DEBUG=0 requires."""
    return {
        # URL-safe characters only, so the value needs no quoting in env files.
        "KESU_SECRET_KEY": secrets.token_urlsafe(50),
        "KESU_PII_KEYS": Fernet.generate_key().decode("ascii"),
        "KESU_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }


class Command(BaseCommand):
    help = "Print new KESU_SECRET_KEY, KESU_PII_KEYS and KESU_BLIND_INDEX_KEY lines."

    # The keys are what production needs to start, so do not require them here.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        for name, value in generate_keys().items():
            self.stdout.write(f"{name}={value}")
