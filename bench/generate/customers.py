"""The customers' personal data, encrypted as `EncryptedTextField` stores it.

Tokens are Fernet's (version, time, IV, AES-128-CBC, HMAC-SHA256 under the newest of
`PII_KEYS`), which the app decrypts with `cryptography`'s Fernet. They are made here
with one reused AES block encryptor and CBC chained in Python: `Fernet.encrypt` sets
up a cipher context per value (~40 µs), which made encryption a fixed cost of ~25 s
at 1M. The pool is bounded (`shape.CUSTOMER_POOL`) and split over forked processes.
Customers with the same name share its token (valid, and invisible to the app, which
only decrypts).
"""

from __future__ import annotations

import base64
import hmac
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from bench.generate.plan import CustomerSeed
from kesu.privacy import crypto

PART = 5_000
BLOCK = 16


class FernetWriter:
    """Fernet tokens under one key, the same bytes `Fernet.encrypt` would give."""

    def __init__(self, key: str) -> None:
        raw = base64.urlsafe_b64decode(key)
        self._signing = raw[:BLOCK]
        # ECB over single blocks is the AES step of CBC; the chaining is below.
        ecb = modes.ECB()  # noqa: S305
        self._block = Cipher(algorithms.AES(raw[BLOCK:]), ecb).encryptor().update
        self._header = b"\x80" + int(time.time()).to_bytes(8, "big")

    def encrypt(self, plaintext: str) -> str:
        data = plaintext.encode()
        pad = BLOCK - len(data) % BLOCK
        data += bytes([pad]) * pad
        iv = os.urandom(BLOCK)
        previous = int.from_bytes(iv, "big")
        out = bytearray()
        block = self._block
        for start in range(0, len(data), BLOCK):
            mixed = int.from_bytes(data[start : start + BLOCK], "big") ^ previous
            cipher = block(mixed.to_bytes(BLOCK, "big"))
            out += cipher
            previous = int.from_bytes(cipher, "big")
        body = self._header + iv + out
        mac = hmac.digest(self._signing, body, "sha256")
        return base64.urlsafe_b64encode(body + mac).decode("ascii")


def _encrypt(seeds: list[CustomerSeed]) -> list[tuple[object, ...]]:
    fernet = FernetWriter(settings.PII_KEYS[0])
    encrypt = fernet.encrypt
    # Names repeat (a few thousand combinations): one token per name and process.
    names: dict[str, str] = {}
    return [
        (
            s.id,
            names.get(s.name) or names.setdefault(s.name, encrypt(s.name)),
            encrypt(s.phone),
            encrypt(s.email) if s.email else "",
            encrypt(s.address),
            crypto.phone_index(s.phone),
            crypto.email_index(s.email) if s.email else "",
            s.created_at,
        )
        for s in seeds
    ]


def encrypt_all(seeds: list[CustomerSeed], processes: int) -> list[tuple[object, ...]]:
    """(id, name, phone, email, address, phone index, e-mail index, created) rows."""
    parts = [seeds[n : n + PART] for n in range(0, len(seeds), PART)]
    if processes < 2 or len(parts) < 2:
        return [row for part in parts for row in _encrypt(part)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as executor:
        return [row for rows in executor.map(_encrypt, parts) for row in rows]
