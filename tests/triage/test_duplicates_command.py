"""`kesu near_duplicates backfill` (R-CL-5): signs existing cases, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kesu.triage.ml import minhash
from kesu.triage.models import CaseBand, CaseSignature
from tests.factories import make_case

LEAK = "新买的美的洗衣机第一次用就漏水，地板全湿了，要求上门维修并赔偿损失。"
COPY = "新买的美的洗衣机第一次用就漏水了，地板全都湿了，要求上门维修并赔偿损失！"


def backfill(*args: str) -> str:
    out = StringIO()
    call_command("near_duplicates", "backfill", *args, stdout=out)
    return out.getvalue()


def test_backfill_signs_every_case_once(agent, store):
    first = make_case(by=agent, store=store, description=LEAK)
    copy = make_case(by=agent, store=store, description=COPY)
    make_case(by=agent, store=store, description="太差了")

    output = backfill("--batch-size", "1")
    again = backfill()

    assert "2 signatures recorded" in output
    assert "0 signatures recorded" in again
    assert CaseSignature.objects.count() == 2
    assert CaseBand.objects.count() == 2 * minhash.BANDS
    assert CaseSignature.objects.get(pk=copy.pk).cluster == first.pk


def test_backfill_rebuild_starts_over(agent, store):
    make_case(by=agent, store=store, description=LEAK)
    backfill()
    CaseSignature.objects.update(cluster=999)

    output = backfill("--rebuild")

    assert "1 signatures recorded" in output
    assert CaseSignature.objects.get().cluster != 999
    assert CaseBand.objects.count() == minhash.BANDS


def test_backfill_needs_an_action(db):
    with pytest.raises(CommandError):
        call_command("near_duplicates")
