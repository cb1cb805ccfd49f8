"""The shipped label files: hand-labelled training rows never overlap the gold set."""

from collections import Counter

import pytest

from kesu.cases.defaults import TAXONOMY
from kesu.triage.ml import datasets

EMOTIONS = {"calm", "unhappy", "angry"}
CATEGORY_CODES = {code for code, *_ in TAXONOMY}
SUBCATEGORIES = {(code, sub) for code, *_, subs in TAXONOMY for sub, *_ in subs}


@pytest.mark.parametrize("load", [datasets.gold, datasets.hand_labels])
def test_label_files_use_only_taxonomy_codes(load):
    rows = load()
    assert rows
    assert {r.category for r in rows} <= CATEGORY_CODES
    assert {r.emotion for r in rows} <= EMOTIONS
    assert {(r.category, r.subcategory) for r in rows if r.subcategory} <= SUBCATEGORIES


def test_no_training_row_is_a_gold_row():
    training = {(r.source, r.row) for r in datasets.hand_labels()}
    assert training.isdisjoint(datasets.gold_keys())


def test_each_training_row_is_labelled_once():
    counts = Counter((r.source, r.row) for r in datasets.hand_labels())
    assert max(counts.values()) == 1


def test_training_labels_cover_both_languages_and_every_category_in_chinese():
    zh = Counter(r.category for r in datasets.hand_labels(("zh",)) if r.is_usable)
    en = datasets.hand_labels(("en",))
    assert set(zh) == CATEGORY_CODES
    assert len(en) >= 1000
