"""Model fields that store personal data encrypted."""

from __future__ import annotations

from typing import Any

from django.db import models

from kesu.privacy import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text field whose database column holds only a Fernet token.

    Empty strings are stored as empty strings (nothing to protect, and it keeps "has an
    e-mail?" answerable without decrypting).
    """

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
