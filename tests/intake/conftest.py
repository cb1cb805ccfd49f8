"""Fixtures for intake: evidence files, a clean media root, real IMAP and SMTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.accounts.models import Role, Store, User
from kesu.intake.models import Mailbox
from kesu.intake.services import Submission
from tests.factories import UserFactory
from tests.intake.mail_server import ImapServer, dovecot_server
from tests.intake.smtp_server import SmtpServer, smtp_server

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b" " * 64
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    """Each test stores files in its own directory, so leftovers can be counted."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def upload() -> Callable[..., SimpleUploadedFile]:
    def make(
        name: str = "photo.png", content: bytes = PNG, content_type: str = "image/png"
    ) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make


@pytest.fixture
def store_agent(db, store: Store) -> User:
    return UserFactory(username="store_agent", role=Role.AGENT, stores=[store])


@pytest.fixture
def submission(store: Store) -> Callable[..., Submission]:
    def make(**overrides: object) -> Submission:
        values: dict[str, object] = {
            "channel": "api",
            "backend": "api",
            "store": store,
            "description": "冰箱不制冷，买了三天就坏了。",
            "customer_name": "李四",
            "customer_phone": "13900001111",
        }
        values.update(overrides)
        return Submission(**values)  # type: ignore[arg-type]

    return make


def stored_files(media: Path) -> list[Path]:
    return (
        [path for path in media.rglob("*") if path.is_file()] if media.exists() else []
    )


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def folder(imap_server: ImapServer) -> str:
    """A fresh IMAP folder per test, so tests never see each other's mail."""
    name = f"t{uuid.uuid4().hex[:12]}"
    imap_server.create(name)
    return name


@pytest.fixture
def mailbox(imap_server: ImapServer, folder: str, store: Store, store_agent: User):
    return Mailbox.objects.create(
        name="service",
        store=store,
        host=imap_server.host,
        port=imap_server.port,
        tls_mode="plain",
        username=imap_server.user,
        password=imap_server.password,
        folder=folder,
    )


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    """Django's SMTP backend pointed at a loopback aiosmtpd."""
    with smtp_server() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = server.host
        settings.EMAIL_PORT = server.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.DEFAULT_FROM_EMAIL = "客诉中心 <service@kesu.example>"
        yield server
