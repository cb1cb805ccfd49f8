"""Near-duplicate complaints across customers (R-CL-5): signatures and clusters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from kesu.accounts.models import Role, Store, User
from kesu.cases.models import Case
from kesu.triage.duplicates import (
    batch_problem_list,
    cluster_cases,
    keywords,
    near_duplicate_matches,
    similar_case_list,
)
from kesu.triage.ml import minhash
from kesu.triage.models import CaseBand, CaseSignature
from kesu.triage.services import case_signature_record, case_triage
from tests.factories import StoreFactory, UserFactory, make_case

LEAK = "新买的美的洗衣机第一次用就漏水，地板全湿了，要求上门维修并赔偿损失。"
LEAK_EDITED = "新买的美的洗衣机第一次用就漏水了，地板全都湿了，要求上门维修并赔偿损失！"
LEAK_WIDE = "新买的美的洗衣机第一次用就漏水 ， 地板全湿了 ！ 要求上门维修并赔偿损失"
UNRELATED = "快递员态度恶劣，包裹三天没送到，打客服电话也没人接，非常失望。"
NOISE = "冰箱晚上压缩机噪音特别大，吵得睡不着觉，请派师傅来检查一下。"


def sig(text: str) -> np.ndarray:
    values = minhash.signature(text)
    assert values is not None
    return values


def test_canonical_folds_width_and_case_and_drops_punctuation():
    assert minhash.canonical("ＡＢＣ， Def！\n１２３。") == "abcdef123"


def test_near_identical_chinese_texts_are_similar_and_unrelated_ones_not():
    """The measured threshold (0.5) separates an edited copy from another complaint."""
    assert minhash.similarity(sig(LEAK), sig(LEAK_EDITED)) >= 0.5
    assert minhash.similarity(sig(LEAK), sig(LEAK_WIDE)) >= 0.9
    assert minhash.similarity(sig(LEAK), sig(UNRELATED)) < 0.1


def test_punctuation_width_and_spacing_do_not_change_the_signature():
    assert np.array_equal(sig("ＯＰＰＯ手机，屏幕碎了！"), sig("oppo 手机屏幕碎了"))


def test_texts_too_short_get_no_signature():
    assert minhash.signature("太差了！！") is None
    assert minhash.signature("") is None
    assert minhash.signature("，。！ 　") is None


def test_signature_round_trips_through_bytes_and_rejects_a_wrong_size():
    values = sig(LEAK)

    assert np.array_equal(minhash.from_bytes(minhash.to_bytes(values)), values)
    with pytest.raises(ValueError, match="bytes"):
        minhash.from_bytes(b"\x00" * 10)


def test_band_keys_are_one_signed_64_bit_key_per_band():
    keys = minhash.band_keys(sig(LEAK))

    assert len(keys) == minhash.BANDS
    assert len(set(keys)) == minhash.BANDS
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert keys == minhash.band_keys(sig(LEAK_WIDE))


def agent_of(store: Store) -> User:
    return UserFactory(username=f"agent-{store.code}", role=Role.AGENT, stores=[store])


def record(agent, store, text: str, **overrides) -> Case:
    case = make_case(by=agent, store=store, description=text, **overrides)
    case_signature_record(case=case)
    return case


def test_recorded_case_stores_signature_and_band_keys(agent, store):
    case = record(agent, store, LEAK)

    stored = CaseSignature.objects.get(pk=case.pk)
    assert len(bytes(stored.signature)) == minhash.SIGNATURE_BYTES
    assert stored.cluster == case.pk
    assert CaseBand.objects.filter(case=case).count() == minhash.BANDS


def test_near_duplicate_joins_the_earlier_cluster_and_unrelated_does_not(agent, store):
    first = record(agent, store, LEAK)
    copy = record(agent, store, LEAK_EDITED)
    other = record(agent, store, UNRELATED)

    clusters = dict(CaseSignature.objects.values_list("pk", "cluster"))
    assert clusters[copy.pk] == first.pk
    assert clusters[other.pk] == other.pk


def test_matches_respect_the_threshold(agent, store):
    first = record(agent, store, LEAK)
    edited = sig(LEAK_EDITED)
    score = minhash.similarity(sig(LEAK), edited)

    at = near_duplicate_matches(edited, threshold=score)
    above = near_duplicate_matches(edited, threshold=min(1.0, score + 0.02))

    assert [m.case_id for m in at] == [first.pk]
    assert at[0].similarity == pytest.approx(score)
    assert above == []


def test_higher_threshold_setting_keeps_an_edited_copy_apart(agent, store, settings):
    settings.KESU_NEAR_DUP_SIMILARITY = 0.95
    first = record(agent, store, LEAK)
    copy = record(agent, store, LEAK_EDITED)

    assert CaseSignature.objects.get(pk=copy.pk).cluster == copy.pk != first.pk


def test_recording_twice_changes_nothing(agent, store):
    case = record(agent, store, LEAK)

    again = case_signature_record(case=case)

    assert again is not None
    assert again.cluster == case.pk
    assert CaseSignature.objects.count() == 1
    assert CaseBand.objects.count() == minhash.BANDS


def test_short_complaint_is_not_recorded(agent, store):
    case = make_case(by=agent, store=store, description="太差了")

    assert case_signature_record(case=case) is None
    assert not CaseSignature.objects.exists()


def test_case_matching_two_clusters_merges_them_into_the_oldest(agent, store):
    # Two near-identical cases recorded at the same instant can start two clusters
    # (neither saw the other); the next case like them joins them again.
    first = record(agent, store, LEAK)
    second = record(agent, store, LEAK_EDITED)
    CaseSignature.objects.filter(pk=second.pk).update(cluster=second.pk)

    bridge = record(agent, store, LEAK_WIDE)

    clusters = set(
        CaseSignature.objects.filter(
            pk__in=[first.pk, second.pk, bridge.pk]
        ).values_list("cluster", flat=True)
    )
    assert clusters == {first.pk}
    assert set(cluster_cases(first.pk).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
        bridge.pk,
    }
    assert not cluster_cases(second.pk).exists()


def test_triage_records_the_signature(agent, store):
    first = make_case(by=agent, store=store, description=LEAK)
    copy = make_case(by=agent, store=store, description=LEAK_EDITED)

    case_triage(case_id=first.pk)
    case_triage(case_id=copy.pk)

    assert CaseSignature.objects.get(pk=copy.pk).cluster == first.pk


def test_cluster_cases_scoped_to_a_user(agent, store, quality):
    elsewhere = StoreFactory(code="bj", name="北京店")
    mine = record(agent, store, LEAK)
    theirs = record(agent_of(elsewhere), elsewhere, LEAK_EDITED)

    assert set(cluster_cases(mine.pk).values_list("pk", flat=True)) == {
        mine.pk,
        theirs.pk,
    }
    assert list(cluster_cases(mine.pk, user=agent).values_list("pk", flat=True)) == [
        mine.pk
    ]
    assert cluster_cases(mine.pk, user=quality).count() == 2
    assert not cluster_cases(123456789).exists()


def test_similar_case_list_shows_only_cases_in_scope(agent, store, quality):
    elsewhere = StoreFactory(code="bj", name="北京店")
    case = record(agent, store, LEAK)
    visible = record(agent, store, LEAK_EDITED)
    hidden = record(agent_of(elsewhere), elsewhere, LEAK_WIDE)
    record(agent, store, UNRELATED)

    for_agent = similar_case_list(user=agent, case=case)
    for_quality = similar_case_list(user=quality, case=case)

    assert [s.case.pk for s in for_agent] == [visible.pk]
    assert {s.case.pk for s in for_quality} == {visible.pk, hidden.pk}
    assert for_quality[0].case.pk == hidden.pk  # most similar first


def test_similar_case_list_works_before_the_case_is_signed(agent, store):
    earlier = record(agent, store, LEAK)
    case = make_case(by=agent, store=store, description=LEAK_EDITED)

    assert [s.case.pk for s in similar_case_list(user=agent, case=case)] == [earlier.pk]


def days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def test_batch_problem_needs_enough_open_cases_in_the_window(
    agent, store, quality, settings
):
    """R-CL-5: a cluster with KESU_BATCH_PROBLEM_SIZE open recent cases is offered."""
    settings.KESU_BATCH_PROBLEM_SIZE = 3
    settings.KESU_BATCH_PROBLEM_WINDOW_DAYS = 30
    first = record(agent, store, LEAK, received_at=days_ago(5))
    record(agent, store, LEAK_EDITED, received_at=days_ago(3))
    record(agent, store, LEAK_WIDE, received_at=days_ago(40))  # outside the window
    record(agent, store, NOISE)

    assert batch_problem_list(user=quality) == []

    record(agent, store, LEAK + "已经第二次了", received_at=days_ago(1))
    problems = batch_problem_list(user=quality)

    assert len(problems) == 1
    problem = problems[0]
    assert problem.cluster == first.pk
    assert problem.open_cases == 3
    assert problem.first_seen_at < problem.last_seen_at
    assert len(problem.samples) == 3
    assert problem.stores == [str(store)]
    assert "漏水" in problem.keywords
    assert "洗衣机" in problem.keywords


def test_closed_cases_do_not_count_towards_a_batch_problem(
    agent, store, quality, settings
):
    settings.KESU_BATCH_PROBLEM_SIZE = 2
    first = record(agent, store, LEAK)
    copy = record(agent, store, LEAK_EDITED)
    Case.objects.filter(pk=copy.pk).update(status="rejected", rejection_reason="x")

    assert batch_problem_list(user=quality) == []
    assert first.pk in cluster_cases(first.pk).values_list("pk", flat=True)


def test_batch_problems_are_scoped(agent, store, supervisor, quality, settings):
    settings.KESU_BATCH_PROBLEM_SIZE = 2
    record(agent, store, LEAK)
    record(agent, store, LEAK_EDITED)

    assert len(batch_problem_list(user=quality)) == 1
    assert batch_problem_list(user=agent) != []  # the agent's own store
    outsider = agent_of(StoreFactory(code="gz", name="广州店"))
    assert batch_problem_list(user=outsider) == []


def test_keywords_count_each_text_once_and_skip_generic_words():
    texts = ["漏水漏水漏水，要求赔偿", "洗衣机漏水，要求赔偿", "洗衣机坏了，要求赔偿"]

    assert keywords(texts, count=3) == ["赔偿", "洗衣机", "漏水"]
