"""MinHash signatures and LSH band keys for near-duplicate complaints (R-CL-5).

Pure Python and numpy, no ORM. The parameters were measured on the public Chinese
texts (`kesu bench near_dup_shingles near_dup`, bench/RESULTS.md "Near-duplicates"):
character trigrams keep copies with 10% of their characters edited above 0.5
(bigrams make more short generic reviews look alike, 4-grams lose edited copies);
64 permutations in 16 bands of 3 rows find most such copies while an unrelated text
meets only a handful of candidates among a million. Changing a constant here
requires `kesu near_duplicates backfill --rebuild`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE = 3  # characters per shingle
NUM_PERM = 64
BANDS = 16
ROWS = 3  # permutations per band; the first BANDS * ROWS take part in the LSH
MIN_CHARS = 8  # shorter texts ("太差了") would match every other short complaint
MAX_CHARS = 2000  # bounds the cost of long narratives; the grievance comes first
SEED = 1
SIGNATURE_BYTES = NUM_PERM * 4

_DROP = re.compile(r"[\W_]+")  # punctuation, symbols and whitespace
_dtype = np.dtype("<u4")


# datasketch pulls in SciPy, seconds of start-up for every web process; only the
# processes that sign texts (the task worker) need it, so it loads on first use.
@cache
def _minhash_class() -> type[MinHash]:
    from datasketch import MinHash

    minhash_class: type[MinHash] = MinHash
    return minhash_class


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    permutations: tuple[np.ndarray, np.ndarray]
    permutations = _minhash_class()(num_perm=NUM_PERM, seed=SEED).permutations
    return permutations


def canonical(text: str) -> str:
    """Width- and case-folded text without punctuation or whitespace."""
    folded = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).casefold()
    return _DROP.sub("", folded)[:MAX_CHARS]


def shingles(text: str) -> set[bytes]:
    """The text's overlapping SHINGLE-character pieces (of its canonical form)."""
    chars = canonical(text)
    return {chars[i : i + SHINGLE].encode() for i in range(len(chars) - SHINGLE + 1)}


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (NUM_PERM uint32), or None for a text too short."""
    if len(canonical(text)) < MIN_CHARS:
        return None
    minhash = _minhash_class()(
        num_perm=NUM_PERM,
        seed=SEED,
        hashfunc=zlib.crc32,
        permutations=_permutations(),
        scheme="affine32",
    )
    minhash.update_batch(list(shingles(text)))
    values: np.ndarray = minhash.hashvalues.astype(_dtype)
    return values


def to_bytes(values: np.ndarray) -> bytes:
    """The signature as stored: NUM_PERM little-endian uint32."""
    return values.astype(_dtype).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    """A stored signature back as an array; ValueError when it has the wrong size."""
    raw = bytes(data)
    if len(raw) != SIGNATURE_BYTES:
        raise ValueError(f"a signature has {SIGNATURE_BYTES} bytes, not {len(raw)}")
    return np.frombuffer(raw, dtype=_dtype)


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band; the band number is hashed in, so one index
    (and one SQL IN) serves every band."""
    keys = []
    for band in range(BANDS):
        rows = values[band * ROWS : (band + 1) * ROWS].astype(_dtype).tobytes()
        digest = hashlib.blake2b(bytes([band]) + rows, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two texts' shingle sets (0..1)."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def similarities(values: np.ndarray, others: np.ndarray) -> np.ndarray:
    """`similarity` of one signature against each row of a 2-D array of them."""
    shared: np.ndarray = np.count_nonzero(others == values, axis=1)
    return shared / NUM_PERM
