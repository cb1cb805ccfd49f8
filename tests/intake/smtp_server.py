"""A real SMTP server for the mail tests: aiosmtpd on a free loopback port.

Django's SMTP backend talks to it over a socket like to any mail server; every
message it accepts is kept, parsed, in `SmtpServer.messages`.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Delivery:
    """One accepted message: the SMTP envelope and the parsed mail."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpServer:
    host: str
    port: int
    deliveries: list[Delivery] = field(default_factory=list)

    # aiosmtpd calls the handler's `handle_DATA` for every accepted message.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.deliveries.append(
            Delivery(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=message,
                raw=raw,
            )
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server for the duration of the block."""
    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
