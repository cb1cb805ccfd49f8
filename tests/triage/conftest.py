from __future__ import annotations

import pytest

from kesu.triage.ml.training import Example

TINY = {
    "safety": [
        "手机充电时起火了",
        "插座冒烟还有焦味",
        "the charger caught fire",
        "电池爆炸了",
    ],
    "logistics": [
        "快递三天还没到",
        "送餐太慢了等了两小时",
        "the parcel never arrived",
        "物流太慢",
    ],
    "price_charges": [
        "刚买就降价不给保价",
        "多收了我运费",
        "they charged a hidden fee",
        "退款一直不到账",
    ],
    "service_attitude": [
        "客服态度恶劣还骂人",
        "打电话没人理",
        "the agent was rude to me",
        "店员很不耐烦",
    ],
}


@pytest.fixture
def tiny_examples() -> list[Example]:
    return [Example(text, label) for label, texts in TINY.items() for text in texts * 2]


@pytest.fixture
def labelled_csv(tmp_path):
    path = tmp_path / "labelled.csv"
    rows = ["text,label"] + [
        f"{t},{label}" for label, texts in TINY.items() for t in texts
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
