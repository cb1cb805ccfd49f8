"""Apps, mini-programs and other systems over `POST /api/v1/complaints`: channel `api`.

The endpoint (kesu/intake/api.py) parses JSON or multipart; this backend namespaces the
client's Idempotency-Key by the token's user so two clients' keys never collide.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile

from kesu.accounts.models import User
from kesu.cases.models import Channel
from kesu.intake.backends.base import ChannelBackend
from kesu.intake.services import Receipt


class ApiBackend(ChannelBackend):
    """Receives a validated API body for the token's user (the calling system)."""

    name = "api"
    channel = Channel.API

    def receive_body(
        self,
        fields: dict[str, Any],
        *,
        client: User,
        idempotency_key: str,
        attachments: list[UploadedFile[bytes]],
        source: dict[str, Any],
    ) -> Receipt:
        """One case per body; a replayed key or external id returns the first case."""
        return self.receive(
            self.submission(
                idempotency_key=self.idempotency_key(str(client.pk), idempotency_key),
                attachments=attachments,
                source={"client": client.username, **source},
                **fields,
            )
        )
