"""Near-duplicate scenarios (R-CL-5): lookups against stored signatures, and the
measurements behind the shingle size and the similarity threshold.

- `near_dup`: `--size` signatures are loaded in bulk (once; later runs reuse them):
  the MinHash signatures of the public Chinese texts (KESU_DATA_DIR: shopping and
  delivery reviews, TipDM messages), then copies of them with 10–50% of their hash
  values replaced (estimated similarity 0.5–0.9 to the original), so every text has
  a dozen near-duplicates at 1M, as a batch problem would. Their case ids start at
  OFFSET, far above real cases: the lookup never joins cases. Then new texts are
  looked up with the production function (`near_duplicate_matches`): half are edited
  copies of stored texts (5–10% of the characters changed), half texts never stored.
  Per lookup: p50/p95/p99 of the database read and similarity estimate, of the
  whole text → matches, and how often the edited text found its original.
- `near_dup_shingles`: on the public texts, the Jaccard similarity of edited copies
  and of unrelated pairs for shingles of 2 to 5 characters; no database.
"""

from __future__ import annotations

import random
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench import stats
from kesu.triage.duplicates import near_duplicate_matches
from kesu.triage.ml import datasets, minhash
from kesu.triage.models import CaseBand, CaseSignature

OFFSET = 10**12
LOOKUPS = 2_000
SIGN_TEXTS = 10_000
CHUNK = 50_000
SEED = 5
SOURCES = (datasets.SHOP, datasets.WAIMAI, datasets.TIPDM_MESSAGES)
SHORT_TEXTS = 3_000
HELD_OUT_EVERY = 50  # every 50th text is never stored: the "new, unrelated" lookups
# Characters inserted or substituted by an edit: common ones, as real edits use.
ALPHABET = (
    "的了是我不在有这个们来到时大地为子中你说生国年着就那和要出也得里后自以会家可下而过"
)


def run(size: int, repeat: int, data_dir: Path | None = None) -> dict[str, Any]:
    """Load `size` signatures if missing, then time lookups `repeat` times."""
    texts = _texts(data_dir)
    stored = [t for i, t in enumerate(texts) if i % HELD_OUT_EVERY]
    held_out = [t for i, t in enumerate(texts) if not i % HELD_OUT_EVERY]
    base = [v for v in (minhash.signature(t) for t in stored) if v is not None]
    load = _ensure(size, stored, base)
    _vacuum()
    runs = [
        {"target": _lookups(stored, held_out, size, seed)} for seed in range(repeat)
    ]
    runs[0]["target"].update(_sign_rate(texts))
    return {
        "name": "near_dup",
        "description": (
            f"near-duplicate lookups of new texts against {size:,} stored signatures "
            f"({connection.vendor}; threshold {settings.KESU_NEAR_DUP_SIMILARITY}, "
            f"{minhash.NUM_PERM} permutations, {minhash.BANDS} bands × "
            f"{minhash.ROWS}); {LOOKUPS:,} lookups per run; load {load}"
        ),
        "kind": "near_dup",
        "runs": runs,
        "summary": {"target": stats.summarize([r["target"] for r in runs[1:] or runs])},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


def table(result: dict[str, Any]) -> str:
    """The scenario's figures: median (min–max) over the runs."""
    lines = [f"\n{result['name']}: {result['description']}"]
    for name, f in result["summary"]["target"].items():
        lines.append(
            f"{name:>22}: {f['median']:14,.3f}  ({f['min']:,.3f} – {f['max']:,.3f})"
        )
    return "\n".join(lines)


def _texts(data_dir: Path | None) -> list[str]:
    root = datasets.data_dir(data_dir)
    texts = [r.text for source in SOURCES for r in datasets.read(root, source)]
    return [t for t in texts if len(minhash.canonical(t)) >= minhash.MIN_CHARS]


def mutate(text: str, rate: float, rng: random.Random) -> str:
    """The text with about `rate` of its characters substituted, inserted or deleted."""
    chars = list(text)
    for _n in range(max(1, int(len(chars) * rate))):
        i = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars[i] = rng.choice(ALPHABET)
        elif op < 0.7:
            chars.insert(i, rng.choice(ALPHABET))
        elif len(chars) > 1:
            del chars[i]
    return "".join(chars)


def _ensure(size: int, stored: list[str], base: list[np.ndarray]) -> str:
    """Signatures OFFSET … OFFSET + size - 1 in the tables; loads what is missing."""
    have = CaseSignature.objects.filter(pk__gte=OFFSET).count()
    if have >= size:
        return f"reused ({have:,} there)"
    began = time.perf_counter()
    rng = np.random.default_rng(SEED)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    for start in range(have, size, CHUNK):
        ids = np.arange(start, min(size, start + CHUNK))
        rows = []
        for i in ids.tolist():
            original = i % len(base)
            values = base[original]
            if i >= len(base):
                values = values.copy()
                replaced = rng.random(minhash.NUM_PERM) < rng.uniform(0.1, 0.5)
                fresh = rng.integers(0, 2**32, minhash.NUM_PERM, dtype=np.uint32)
                values[replaced] = fresh[replaced]
            rows.append((OFFSET + i, values, OFFSET + original))
        _write(rows, now)
        print(f"  {start + len(ids):,} signatures loaded", flush=True)
    seconds = time.perf_counter() - began
    return (
        f"{size - have:,} signatures + {(size - have) * minhash.BANDS:,} band keys "
        f"in {seconds:.0f} s"
    )


def _vacuum() -> None:
    """Fresh statistics; on PostgreSQL also the visibility map, so that the band
    lookup is an index-only scan without heap fetches (autovacuum would do it).
    VACUUM cannot run inside a transaction (a test's), where ANALYZE does."""
    tables = (CaseSignature._meta.db_table, CaseBand._meta.db_table)
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for table in tables:
            if vacuum:
                cursor.execute(f"VACUUM ANALYZE {table}")
            else:
                cursor.execute(f"ANALYZE {table}")


def _write(rows: list[tuple[int, np.ndarray, int]], now: Any) -> None:
    signatures = [(pk, minhash.to_bytes(v), cluster, now) for pk, v, cluster in rows]
    bands = [(key, pk) for pk, v, _c in rows for key in minhash.band_keys(v)]
    sig_table = CaseSignature._meta.db_table
    band_table = CaseBand._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            copy_sig = f"COPY {sig_table} (case_id, signature, cluster, created_at) "
            with raw.copy(copy_sig + "FROM STDIN") as copy:
                for row in signatures:
                    copy.write_row(row)
            with raw.copy(f"COPY {band_table} (key, case_id) FROM STDIN") as copy:
                for band in bands:
                    copy.write_row(band)
            return
        cursor.executemany(
            f"INSERT INTO {sig_table} (case_id, signature, cluster, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s)",
            signatures,
        )
        cursor.executemany(
            f"INSERT OR IGNORE INTO {band_table} (key, case_id) VALUES (%s, %s)",  # noqa: S608
            bands,
        )


def _lookups(
    stored: list[str], held_out: list[str], size: int, seed: int
) -> dict[str, float]:
    rng = random.Random(seed)
    threshold = settings.KESU_NEAR_DUP_SIMILARITY
    originals = [rng.randrange(min(size, len(stored))) for _n in range(LOOKUPS // 2)]
    queries = [
        (mutate(stored[i], rng.uniform(0.05, 0.1), rng), i) for i in originals
    ] + [(rng.choice(held_out), None) for _n in range(LOOKUPS // 2)]
    rng.shuffle(queries)
    db_times, text_times, cpu_times, found, matched = [], [], [], 0, []
    began = time.perf_counter()
    for text, original in queries:
        start = time.perf_counter()
        values = minhash.signature(text)
        signed, cpu = time.perf_counter(), time.thread_time()
        if values is None:
            continue
        matches = near_duplicate_matches(values, threshold=threshold)
        done = time.perf_counter()
        # This process's own CPU time: the wall time minus waiting for the database
        # and for a core on a shared machine.
        cpu_times.append((time.thread_time() - cpu) * 1000)
        db_times.append((done - signed) * 1000)
        text_times.append((done - start) * 1000)
        matched.append(len(matches))
        if original is not None:
            found += any(m.case_id == OFFSET + original for m in matches)
    elapsed = time.perf_counter() - began
    return {
        "throughput": len(db_times) / elapsed,
        "p50_ms": stats.percentile(db_times, 50),
        "p95_ms": stats.percentile(db_times, 95),
        "p99_ms": stats.percentile(db_times, 99),
        "cpu_p50_ms": stats.percentile(cpu_times, 50),
        "cpu_p99_ms": stats.percentile(cpu_times, 99),
        "text_p50_ms": stats.percentile(text_times, 50),
        "text_p99_ms": stats.percentile(text_times, 99),
        "edited_found_rate": found / (LOOKUPS // 2),
        "matches_mean": float(np.mean(matched)),
    }


def _sign_rate(texts: list[str]) -> dict[str, float]:
    sample = texts[:SIGN_TEXTS]
    began = time.perf_counter()
    for text in sample:
        minhash.signature(text)
    return {"signatures_per_s": len(sample) / (time.perf_counter() - began)}


def run_shingles(data_dir: Path | None = None) -> dict[str, Any]:
    """Edited copies against unrelated pairs, for shingles of 2 to 5 characters."""
    rng = random.Random(SEED)
    pool = [minhash.canonical(t) for t in _texts(data_dir)]
    pool = [t for t in pool if len(t) >= 20]
    sample = rng.sample(pool, 4_000)
    pairs = list(zip(sample[:2_000], sample[2_000:], strict=True))
    edits = {
        rate: [mutate(t, rate, rng) for t in sample[:2_000]] for rate in (0.1, 0.2)
    }
    root = datasets.data_dir(data_dir)
    short = [minhash.canonical(r.text) for r in datasets.read(root, datasets.WAIMAI)]
    short = [t for t in short if len(t) >= minhash.MIN_CHARS][:SHORT_TEXTS]
    figures: dict[str, float] = {}
    began = time.perf_counter()
    for k in (2, 3, 4, 5):
        unrelated = [_jaccard(a, b, k) for a, b in pairs]
        for rate, copies in edits.items():
            scores = [_jaccard(a, b, k) for a, b in zip(sample, copies, strict=False)]
            figures[f"k{k}_edit{rate:.0%}_mean"] = float(np.mean(scores))
            figures[f"k{k}_edit{rate:.0%}_p5"] = float(np.percentile(scores, 5))
        figures[f"k{k}_unrelated_p99.9"] = float(np.percentile(unrelated, 99.9))
        figures[f"k{k}_unrelated_max"] = max(unrelated)
        nearest = _nearest(short, k)
        for threshold in (0.4, 0.5, 0.6):
            share = sum(n >= threshold for n in nearest) / len(nearest)
            figures[f"k{k}_short_nn_ge{threshold}"] = share
    # The report's table wants a rate: pairs compared per second.
    figures["throughput"] = 4 * 6_000 / (time.perf_counter() - began)
    return {
        "name": "near_dup_shingles",
        "description": (
            "Jaccard similarity of k-character shingles (canonical text): 2,000 public "
            "texts against copies with 10% / 20% of characters edited, 2,000 "
            f"unrelated pairs; share of {SHORT_TEXTS:,} short delivery reviews whose "
            "most similar other review reaches 0.4 / 0.5 / 0.6 (generic praise and "
            "complaints that must not form clusters)"
        ),
        "kind": "near_dup",
        "runs": [{"target": figures}],
        "summary": {"target": stats.summarize([figures])},
        "peak_rss_bytes": {
            "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        },
    }


def _nearest(texts: list[str], k: int) -> list[float]:
    """Each text's highest Jaccard similarity to another (via shared shingles)."""
    sets = [{t[i : i + k] for i in range(len(t) - k + 1)} for t in texts]
    holders: dict[str, list[int]] = {}
    for index, shingles in enumerate(sets):
        for shingle in shingles:
            holders.setdefault(shingle, []).append(index)
    best = []
    for index, shingles in enumerate(sets):
        shared = Counter(j for g in shingles for j in holders[g] if j != index)
        best.append(
            max(
                (
                    len(shingles & sets[j]) / len(shingles | sets[j])
                    for j, _n in shared.most_common(20)
                ),
                default=0.0,
            )
        )
    return best


def _jaccard(a: str, b: str, k: int) -> float:
    first = {a[i : i + k] for i in range(len(a) - k + 1)}
    second = {b[i : i + k] for i in range(len(b) - k + 1)}
    union = first | second
    return len(first & second) / len(union) if union else 0.0
