"""Near-duplicate complaints across customers (R-CL-5): signatures and clusters."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from kesu.cases.models import Case
from kesu.triage.duplicates import near_duplicate_matches
from kesu.triage.ml import minhash
from kesu.triage.models import CaseBand, CaseSignature


@transaction.atomic
def case_signature_record(*, case: Case) -> CaseSignature | None:
    """Store the case's signature and band keys and put it in its cluster.

    The case joins the cluster of the cases it nearly duplicates; when those belong
    to several clusters, they merge into the oldest (smallest id), so a cluster id
    stays valid as long as its first case is in it. A case with no near-duplicate
    starts its own cluster (its id). Does nothing when the case already has a
    signature or its text is too short to compare (returns None then).
    Two near-identical cases recorded at the same instant may start two clusters;
    the next case like them merges them.
    """
    existing = CaseSignature.objects.filter(pk=case.pk).first()
    if existing is not None:
        return existing
    values = minhash.signature(case.description)
    if values is None:
        return None
    matches = near_duplicate_matches(
        values, threshold=settings.KESU_NEAR_DUP_SIMILARITY, exclude=case.pk
    )
    clusters = {m.cluster for m in matches}
    cluster = min(clusters) if clusters else case.pk
    if len(clusters) > 1:
        CaseSignature.objects.filter(cluster__in=clusters - {cluster}).update(
            cluster=cluster
        )
    stored = CaseSignature.objects.create(
        case=case, signature=minhash.to_bytes(values), cluster=cluster
    )
    CaseBand.objects.bulk_create(
        [CaseBand(key=key, case=case) for key in minhash.band_keys(values)],
        ignore_conflicts=True,
    )
    return stored


def signatures_backfill(
    *,
    rebuild: bool = False,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Record the signature of every case without one, oldest first; returns how many
    were recorded (texts too short have none). `rebuild` first forgets them all."""
    if rebuild:
        with transaction.atomic():
            CaseBand.objects.all().delete()
            CaseSignature.objects.all().delete()
    recorded, done, after = 0, 0, 0
    while True:
        batch = list(
            Case.objects.filter(pk__gt=after)
            .exclude(pk__in=CaseSignature.objects.values("case_id"))
            .order_by("pk")
            .only("pk", "description")[:batch_size]
        )
        if not batch:
            return recorded
        for case in batch:
            recorded += case_signature_record(case=case) is not None
        done += len(batch)
        after = batch[-1].pk
        if progress is not None:
            progress(done)
