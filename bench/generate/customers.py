"""The customers' personal data, encrypted as `EncryptedTextField` stores it.

Three Fernet tokens and two blind indexes cost ~50 µs a customer, so the pool is
bounded (`shape.CUSTOMER_POOL`) and split over forked processes. Customers with the
same name share its token (valid, and invisible to the app, which only decrypts).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from bench.generate.plan import CustomerSeed
from kesu.privacy import crypto

PART = 5_000


def _encrypt(seeds: list[CustomerSeed]) -> list[tuple[object, ...]]:
    # Names repeat (a few thousand combinations): one token per name and process.
    names: dict[str, str] = {}
    return [
        (
            s.id,
            names.get(s.name) or names.setdefault(s.name, crypto.encrypt(s.name)),
            crypto.encrypt(s.phone),
            crypto.encrypt(s.email) if s.email else "",
            crypto.encrypt(s.address),
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
