"""Encryption of personal data at rest and keyed blind indexes (R-SEC-2).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) through `MultiFernet`, so a
new key can be put in front while rows written under older keys stay readable; the
`reencrypt_pii` command rewrites them under the newest key. Exact lookup by phone or
e-mail uses an HMAC-SHA256 of the normalised value under a separate key: the database
never sees the plaintext, and equal inputs give equal indexes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.PII_KEYS])


@receiver(setting_changed)
def _reset_keys(*, setting: str, **kwargs: object) -> None:
    if setting in {"PII_KEYS", "BLIND_INDEX_KEY"}:
        _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    """Encrypt under the newest key; the token is URL-safe ASCII."""
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt a token written under any configured key."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "personal data could not be decrypted: check KESU_PII_KEYS"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt a token under the newest key; the plaintext stays inside."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii")


def is_current(token: str) -> bool:
    """Whether the token was written under the newest key."""
    try:
        Fernet(settings.PII_KEYS[0].encode()).decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


_PHONE_JUNK = re.compile(r"[\s\-().]")


def normalize_phone(raw: str) -> str:
    """Canonical phone digits: no spaces/dashes, mainland +86/0086 prefix dropped."""
    digits = _PHONE_JUNK.sub("", raw.strip())
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        digits = digits[2:]
    return digits


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def blind_index(kind: str, normalized: str) -> str:
    """Keyed HMAC of a normalised value; `kind` separates phone and e-mail spaces."""
    if not normalized:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    message = f"{kind}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def phone_index(raw: str) -> str:
    return blind_index("phone", normalize_phone(raw))


def email_index(raw: str) -> str:
    return blind_index("email", normalize_email(raw))
