"""Batch-problem page and the case page's similar complaints (R-CL-5)."""

from __future__ import annotations

from django.urls import reverse

from kesu.accounts.models import Role
from kesu.triage.services import case_signature_record
from tests.factories import StoreFactory, UserFactory, make_case

LEAK = "新买的美的洗衣机第一次用就漏水，地板全湿了，要求上门维修并赔偿损失。"
COPIES = [
    LEAK,
    "新买的美的洗衣机第一次用就漏水了，地板全都湿了，要求上门维修并赔偿损失！",
    LEAK + "已经第二次了",
    "新买的美的洗衣机第一次用就漏水 ， 地板全湿了 ！ 要求上门维修并赔偿损失",
]
PAGE = reverse("triage:batch_problems")


def record_all(agent, store, texts):
    cases = [make_case(by=agent, store=store, description=t) for t in texts]
    for case in cases:
        case_signature_record(case=case)
    return cases


def test_batch_problem_page_lists_the_cluster_for_quality(
    client, agent, store, quality, settings
):
    settings.KESU_BATCH_PROBLEM_SIZE = 4
    cases = record_all(agent, store, COPIES)
    client.force_login(quality)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-cluster="{cases[0].pk}"' in html
    assert reverse("cases:detail", args=[cases[-1].number]) in html
    assert "洗衣机" in html
    assert str(store) in html
    assert f'href="{PAGE}"' in html  # the navigation links to it


def test_batch_problem_page_is_empty_below_the_size(
    client, agent, store, quality, settings
):
    settings.KESU_BATCH_PROBLEM_SIZE = 5
    record_all(agent, store, COPIES)
    client.force_login(quality)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "data-cluster" not in response.content.decode()


def test_batch_problem_page_is_forbidden_to_an_agent(client, agent):
    client.force_login(agent)

    response = client.get(PAGE)

    assert response.status_code == 403
    home = client.get(reverse("cases:list"))
    assert f'href="{PAGE}"' not in home.content.decode()


def test_batch_problem_page_needs_a_login(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_batch_problem_page_refuses_post(client, quality):
    client.force_login(quality)

    assert client.post(PAGE).status_code == 405


def test_case_page_loads_the_similar_complaints_box(client, agent, store):
    case = make_case(by=agent, store=store, description=LEAK)
    client.force_login(agent)

    response = client.get(reverse("cases:detail", args=[case.number]))

    assert response.status_code == 200
    assert reverse("triage:case_boxes", args=[case.number]) in response.content.decode()


def test_similar_complaints_show_only_cases_the_viewer_may_see(client, agent, store):
    elsewhere = StoreFactory(code="bj", name="北京店")
    other_agent = UserFactory(username="bj-agent", role=Role.AGENT, stores=[elsewhere])
    mine, visible = record_all(agent, store, COPIES[:2])
    (hidden,) = record_all(other_agent, elsewhere, COPIES[2:3])
    client.force_login(agent)

    response = client.get(reverse("triage:case_boxes", args=[mine.number]))

    html = response.content.decode()
    assert response.status_code == 200
    assert visible.number in html
    assert hidden.number not in html


def test_similar_complaints_of_an_unrelated_case_are_empty(client, agent, store):
    case = make_case(
        by=agent, store=store, description="快递三天没到，客服也不回消息。"
    )
    record_all(agent, store, COPIES[:2])
    client.force_login(agent)

    response = client.get(reverse("triage:case_boxes", args=[case.number]))

    assert response.status_code == 200
    assert "KS-" not in response.content.decode()


def test_similar_complaints_of_a_case_out_of_scope_are_not_found(client, agent, store):
    elsewhere = StoreFactory(code="bj", name="北京店")
    other_agent = UserFactory(username="bj-agent", role=Role.AGENT, stores=[elsewhere])
    (hidden,) = record_all(other_agent, elsewhere, COPIES[:1])
    client.force_login(agent)

    assert (
        client.get(reverse("triage:case_boxes", args=[hidden.number])).status_code
        == 404
    )
    assert client.get(reverse("triage:case_boxes", args=["KS-nope"])).status_code == 404
