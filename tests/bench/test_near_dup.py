"""The near-duplicate scenarios (bench/near_dup.py) on a tiny data directory."""

from __future__ import annotations

import csv
import random

import pytest

from bench import cli, near_dup
from kesu.triage.ml import datasets
from kesu.triage.models import CaseBand, CaseSignature

COMPLAINTS = [
    "新买的洗衣机第一次用就漏水，地板全湿了，要求上门维修并赔偿损失",
    "冰箱晚上压缩机噪音特别大，吵得睡不着觉，请派师傅来检查一下",
    "快递员态度恶劣，包裹三天没送到，打客服电话也没人接，非常失望",
    "外卖送到的时候饭菜全凉了，汤也洒了一半，商家还不给退款",
    "手机充电的时候发烫得厉害，还闻到一股焦味，担心会不会爆炸",
    "空调安装师傅多收了两百元材料费，也没有给任何收据和发票",
]


@pytest.fixture
def data_dir(tmp_path):
    """The three source files with a few hundred generated texts (not public data)."""
    rng = random.Random(3)

    def texts(n):
        return [
            rng.choice(COMPLAINTS)
            + "".join(rng.sample("订单号码日期金额地址", 4))
            + str(i)
            for i in range(n)
        ]

    def write(name, header, rows):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    write(datasets.SHOP, ["cat", "label", "review"], [["x", 0, t] for t in texts(200)])
    write(datasets.WAIMAI, ["label", "review"], [[0, t] for t in texts(100)])
    write(
        datasets.TIPDM_MESSAGES,
        [
            "留言编号",
            "留言用户",
            "留言主题",
            "留言时间",
            "留言详情",
            "反对数",
            "点赞数",
        ],
        [[i, "u", "主题", "2019/1/1", t, 0, 0] for i, t in enumerate(texts(100))],
    )
    return tmp_path


def test_mutate_edits_about_the_rate_and_is_seeded():
    text = COMPLAINTS[0]

    first = near_dup.mutate(text, 0.1, random.Random(1))
    again = near_dup.mutate(text, 0.1, random.Random(1))

    assert first == again
    assert first != text
    assert abs(len(first) - len(text)) <= 3


def test_scenario_loads_signatures_once_and_measures_lookups(data_dir, monkeypatch, db):
    monkeypatch.setattr(near_dup, "LOOKUPS", 40)
    monkeypatch.setattr(near_dup, "CHUNK", 300)

    result = near_dup.run(1000, 2, data_dir)
    again = near_dup.run(1000, 1, data_dir)

    assert CaseSignature.objects.filter(pk__gte=near_dup.OFFSET).count() == 1000
    assert CaseBand.objects.count() == 1000 * 16
    assert "reused (1,000 there)" in again["description"]
    figures = result["summary"]["target"]
    assert figures["p50_ms"]["median"] <= figures["p99_ms"]["median"]
    assert figures["edited_found_rate"]["median"] >= 0.8
    assert result["runs"][0]["target"]["signatures_per_s"] > 0
    assert "p99_ms" in near_dup.table(result)


def test_shingle_study_reports_every_size(data_dir, monkeypatch):
    monkeypatch.setattr(near_dup.random, "Random", lambda seed: _SmallSample(seed))

    result = near_dup.run_shingles(data_dir)

    figures = result["summary"]["target"]
    for k in (2, 3, 4, 5):
        assert 0 <= figures[f"k{k}_unrelated_max"]["median"] <= 1
        assert figures[f"k{k}_edit10%_mean"]["median"] > 0.3
    assert figures["throughput"]["median"] > 0


class _SmallSample(random.Random):
    def sample(self, population, k, **kwargs):  # the tiny set has fewer than 4,000
        return [self.choice(population) for _n in range(k)]


def test_scenario_needs_the_public_data(tmp_path, db):
    with pytest.raises(datasets.DataMissingError):
        near_dup.run(10, 1, tmp_path)


def test_near_dup_is_a_known_scenario_that_generates_no_cases():
    args = cli.parser().parse_args(["near_dup", "--size", "1m"])

    assert args.scenario == ["near_dup"]
    assert "near_dup" in cli.parser().description
