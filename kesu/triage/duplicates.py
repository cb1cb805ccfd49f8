"""Near-duplicate reads (R-CL-5): matches of a signature, similar cases, clusters.

A lookup never loads an index into the process: it asks the database for the cases
sharing one of the signature's band keys (one indexed `IN`), then estimates the
similarity of those candidates only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from kesu.accounts.models import Store, User
from kesu.cases.models import Case, CaseQuerySet, Product
from kesu.cases.selectors import case_scope
from kesu.triage.ml import minhash
from kesu.triage.ml.text import words
from kesu.triage.models import CaseBand, CaseSignature

# A text copied thousands of times would make every lookup read all of its copies;
# the newest are enough to name the cluster and to list similar cases.
MAX_CANDIDATES = 500
SAMPLE_CASES = 5
KEYWORDS = 8
KEYWORD_TEXTS = 50  # per cluster, newest first
# Words in almost every complaint say nothing about what a cluster is about.
_GENERIC = (
    "要求 我们 你们 他们 没有 一个 已经 什么 就是 但是 因为 所以 还是 可以 现在 这个 "
    "那个 自己 问题 第一次 一直 还有 非常 希望 如果 然后 时候 怎么 这样 不是 知道 东西 "
    "the and was for with that this have not"
)
GENERIC_WORDS = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class Match:
    case_id: int
    cluster: int
    similarity: float


@dataclass(frozen=True)
class SimilarCase:
    case: Case
    similarity: float


@dataclass
class BatchProblem:
    """A cluster with enough open cases in the window (shown to quality/supervisors)."""

    cluster: int
    open_cases: int
    first_seen_at: dt.datetime
    last_seen_at: dt.datetime
    samples: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    stores: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)


def near_duplicate_matches(
    values: np.ndarray, *, threshold: float, exclude: int | None = None
) -> list[Match]:
    """Stored cases whose estimated similarity to the signature reaches threshold."""
    keys = minhash.band_keys(values)
    candidates = CaseSignature.objects.filter(
        pk__in=CaseBand.objects.filter(key__in=keys).values("case_id")
    ).order_by("-pk")[:MAX_CANDIDATES]
    rows = list(candidates.values_list("pk", "cluster", "signature"))
    rows = [row for row in rows if row[0] != exclude]
    if not rows:
        return []
    others = np.stack([minhash.from_bytes(row[2]) for row in rows])
    scores = minhash.similarities(values, others)
    matches = [
        Match(case_id=row[0], cluster=row[1], similarity=float(score))
        for row, score in zip(rows, scores, strict=True)
        if score >= threshold
    ]
    return sorted(matches, key=lambda m: (-m.similarity, -m.case_id))


def similar_case_list(*, user: User, case: Case, limit: int = 10) -> list[SimilarCase]:
    """Near-duplicates of the case that the user may see, most similar first."""
    stored = CaseSignature.objects.filter(pk=case.pk).first()
    values = (
        minhash.from_bytes(stored.signature)
        if stored
        else minhash.signature(case.description)
    )
    if values is None or not user.is_active:
        return []
    matches = near_duplicate_matches(
        values, threshold=settings.KESU_NEAR_DUP_SIMILARITY, exclude=case.pk
    )
    visible = Case.objects.filter(case_scope(user)).in_bulk(
        [m.case_id for m in matches[: limit * 5]]
    )
    found = [
        SimilarCase(case=visible[m.case_id], similarity=m.similarity)
        for m in matches
        if m.case_id in visible
    ]
    return found[:limit]


def cluster_cases(cluster_id: int, *, user: User | None = None) -> CaseQuerySet:
    """The cases of one cluster, newest first; only those in scope given a user."""
    cases = Case.objects.filter(
        pk__in=CaseSignature.objects.filter(cluster=cluster_id).values("case_id")
    )
    if user is not None:
        cases = cases.filter(case_scope(user)) if user.is_active else cases.none()
    return cases.select_related("store", "product").order_by("-received_at", "-pk")


def batch_problem_list(
    *, user: User, now: dt.datetime | None = None, limit: int = 50
) -> list[BatchProblem]:
    """Clusters with at least KESU_BATCH_PROBLEM_SIZE open cases in the user's scope
    received within KESU_BATCH_PROBLEM_WINDOW_DAYS, the largest first."""
    if not user.is_active:
        return []
    since = (now or timezone.now()) - dt.timedelta(
        days=settings.KESU_BATCH_PROBLEM_WINDOW_DAYS
    )
    recent = Case.objects.filter(case_scope(user)).open().filter(received_at__gte=since)
    signatures = CaseSignature.objects.filter(case_id__in=recent.values("pk"))
    grouped = (
        signatures.values("cluster")
        .annotate(
            open_cases=Count("pk"),
            first=Min("case__received_at"),
            last=Max("case__received_at"),
        )
        .filter(open_cases__gte=settings.KESU_BATCH_PROBLEM_SIZE)
        .order_by("-open_cases", "-last", "cluster")[:limit]
    )
    problems = {
        row["cluster"]: BatchProblem(
            row["cluster"], row["open_cases"], row["first"], row["last"]
        )
        for row in grouped
    }
    if problems:
        _describe(problems, signatures.filter(cluster__in=problems))
    return list(problems.values())


def _describe(
    problems: dict[int, BatchProblem], signatures: QuerySet[CaseSignature]
) -> None:
    rows = signatures.order_by("cluster", "-case__received_at").values_list(
        "cluster",
        "case__number",
        "case__store_id",
        "case__product_id",
        "case__description",
    )
    texts: dict[int, list[str]] = defaultdict(list)
    store_ids: dict[int, set[int]] = defaultdict(set)
    product_ids: dict[int, set[int]] = defaultdict(set)
    for cluster, number, store_id, product_id, description in rows:
        problem = problems[cluster]
        if len(problem.samples) < SAMPLE_CASES:
            problem.samples.append(number)
        if len(texts[cluster]) < KEYWORD_TEXTS:
            texts[cluster].append(description)
        store_ids[cluster].add(store_id)
        if product_id is not None:
            product_ids[cluster].add(product_id)
    stores = Store.objects.in_bulk({i for ids in store_ids.values() for i in ids})
    products = Product.objects.in_bulk({i for ids in product_ids.values() for i in ids})
    for cluster, problem in problems.items():
        problem.keywords = keywords(texts[cluster])
        problem.stores = sorted(str(stores[i]) for i in store_ids[cluster])
        problem.products = sorted(str(products[i]) for i in product_ids[cluster])


def keywords(texts: list[str], count: int = KEYWORDS) -> list[str]:
    """The words most of the texts share (jieba, the triage pipeline): by how many
    texts have them, then longer (more specific) words first."""
    seen = Counter(
        word
        for text in texts
        for word in {w for w in words(text.lower()) if len(w) > 1}
        if word not in GENERIC_WORDS
    )
    ranked = sorted(seen.items(), key=lambda item: (-item[1], -len(item[0])))
    return [word for word, _n in ranked[:count]]
