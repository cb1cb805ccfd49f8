"""The Django admin: taxonomy and staff editable, cases read-only and masked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kesu.accounts.models import Role
from kesu.cases.models import Category
from tests.factories import UserFactory, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "model",
    [
        "accounts/department",
        "accounts/store",
        "accounts/user",
        "cases/category",
        "cases/product",
        "cases/replytemplate",
        "cases/case",
        "cases/caseevent",
    ],
)
def test_admin_changelists_load(admin_client, model):
    response = admin_client.get(f"/admin/{model}/")

    assert response.status_code == 200


def test_user_admin_edits_role_departments_and_stores(admin_client, handler):
    response = admin_client.get(
        reverse("admin:accounts_user_change", args=[handler.pk])
    )

    html = response.content.decode()
    assert 'name="role"' in html
    assert 'name="departments"' in html
    assert 'name="stores"' in html


def test_category_admin_edits_parent(admin_client):
    sub = Category.objects.filter(parent__isnull=False).first()

    response = admin_client.get(reverse("admin:cases_category_change", args=[sub.pk]))

    assert 'name="parent"' in response.content.decode()


def test_case_admin_shows_masked_personal_data_only(admin_client, agent, store):
    case = make_case(
        by=agent,
        store=store,
        customer_email="zhang.san@example.com",
        customer_address="上海市徐汇区漕溪北路88号",
    )

    listing = admin_client.get(reverse("admin:cases_case_changelist")).content
    detail = admin_client.get(
        reverse("admin:cases_case_change", args=[case.pk])
    ).content
    events = admin_client.get(reverse("admin:cases_caseevent_changelist")).content

    for html in (listing.decode(), detail.decode(), events.decode()):
        assert "张三" not in html
        assert "13812341234" not in html
        assert "zhang.san@example.com" not in html
        assert "漕溪北路88号" not in html
    assert "138****1234" in listing.decode()
    assert "张**" in detail.decode()


def test_cases_and_events_cannot_be_changed_in_admin(admin_client, agent, store):
    case = make_case(by=agent, store=store)

    add = admin_client.get(reverse("admin:cases_case_add"))
    post = admin_client.post(
        reverse("admin:cases_case_change", args=[case.pk]), {"status": "archived"}
    )
    delete = admin_client.get(reverse("admin:cases_case_delete", args=[case.pk]))
    event_add = admin_client.get(reverse("admin:cases_caseevent_add"))

    case.refresh_from_db()
    assert add.status_code == 403
    assert post.status_code == 403
    assert delete.status_code == 403
    assert event_add.status_code == 403
    assert case.status == "received"


def test_admin_is_closed_to_ordinary_staff(client, agent):
    client.force_login(agent)

    response = client.get(reverse("admin:cases_case_changelist"))

    assert response.status_code == 302
