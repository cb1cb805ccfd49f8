"""Word tokens for the model: jieba's segmentation, computed faster, over the start of a
Chinese text (the per-complaint p99 of issue 5)."""

from __future__ import annotations

import re

import jieba
import pytest

from kesu.triage.ml.model import WORD_SPAN, word_ngrams
from kesu.triage.ml.text import words
from kesu.triage.ml.training import train

CHINESE_TEXTS = [
    "手机电池鼓包了",
    "中华人民共和国成立了，南京市长江大桥",
    "我的iPhone 15 Pro屏幕碎了，客服说要等3-5个工作日",
    "订单号A12345B，付了99.5元（含运费10%），还没发货！！",
    "C++和C#都不会，邮箱 a_b@c.com",
    "退款 refund 不到账 XXXX {$12.00}",
    "快递三天还没到\n\n物流信息一直不更新，打电话没人接",
    "㐀㐁是扩展字符，豈更車是兼容字符，\u9fd6在jieba的范围外",
    "１２３全角数字和ＡＢＣ全角字母",
    "。。。",
    "很" * 500,
]


def jieba_reference(text: str) -> list[str]:
    return [w for w in jieba.lcut(text, HMM=False) if w.strip() and re.search(r"\w", w)]


@pytest.mark.parametrize("text", CHINESE_TEXTS)
def test_chinese_words_are_exactly_jiebas(text):
    assert words(text) == jieba_reference(text)


def test_a_long_chinese_text_gives_words_from_its_start_and_english_from_its_tail():
    start = "快递三天还没到，" * 40  # 320 characters
    text = start + "退款一直不到账 refund 12315"

    tokens = words(text, jieba_span=WORD_SPAN)

    assert tokens == jieba_reference(start[:WORD_SPAN]) + ["refund", "12315"]
    assert "退款" not in tokens


def test_a_short_chinese_text_is_read_whole():
    text = "快递三天还没到，退款一直不到账"

    assert words(text, jieba_span=WORD_SPAN) == jieba_reference(text)


def test_a_long_english_text_is_read_whole():
    text = "the parcel never arrived " * 100 + "refund"

    assert words(text, jieba_span=WORD_SPAN)[-1] == "refund"
    assert "arrived refund" in word_ngrams(text)


def test_the_chinese_tail_changes_no_feature(tiny_examples):
    model = train(tiny_examples)
    start = "手机充电时起火了，" * 50  # 450 characters: past both spans

    first, second = model.row(start + "快递没到"), model.row(start + "客服骂人")

    assert first[0].tolist() == second[0].tolist()
    assert first[1].tolist() == second[1].tolist()
