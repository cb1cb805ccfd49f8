"""Recording a complaint by phone or walk-in, and the phone lookup (R-IN-2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kesu.cases.models import Attachment, Case, Category, Customer
from kesu.cases.services import intake
from tests.factories import StoreFactory, make_case, top_category

pytestmark = pytest.mark.django_db

URL = reverse("cases:new")
LOOKUP = reverse("cases:customer_lookup")


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English source strings, whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def valid_post(store, **overrides) -> dict[str, object]:
    category = top_category()
    data: dict[str, object] = {
        "channel": "phone",
        "customer_phone": "138 1234 5678",
        "customer_name": "李四",
        "customer_email": "",
        "customer_address": "上海市徐汇区漕溪北路1号",
        "store": store.pk,
        "description": "洗衣机漏水，刚买两周。",
        "demand": "换新机",
        "category": category.pk,
        "subcategory": category.children.first().pk,
        "severity": "urgent",
        "impact_grade": "C",
        "product_model": "XQG100",
        "purchased_on": "2026-01-10",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("persona", ["agent", "handler", "supervisor", "manager"])
def test_entry_form_renders_for_roles_that_receive(client, request, persona, store):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(URL)

    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"style=" not in response.content  # CSP: style-src 'self'
    assert b"<script>" not in response.content


def test_quality_role_may_not_open_the_form(client, quality):
    client.force_login(quality)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {}).status_code == 403
    assert client.get(LOOKUP, {"customer_phone": "13812341234"}).status_code == 403


def test_form_defaults_to_phone_and_the_users_first_store(client, agent, store):
    client.force_login(agent)

    form = client.get(URL).context["form"]

    assert form["channel"].value() == "phone"
    assert form["store"].value() == store.pk
    assert list(form.fields["store"].queryset) == [store]


def test_happy_path_creates_one_case_owned_by_the_agent(client, agent, store):
    client.force_login(agent)

    response = client.post(URL, valid_post(store))

    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.number])
    assert case.owner == agent
    assert case.store == store
    assert case.severity == "urgent"
    assert case.subcategory.parent == top_category()
    assert case.customer.phone == "13812345678"
    assert case.customer.name == "李四"


def test_received_time_is_read_in_the_store_time_zone(client, agent, store):
    client.force_login(agent)

    client.post(URL, valid_post(store, received_at="2026-01-10T09:30"))

    received = Case.objects.get().received_at
    assert received == dt.datetime(2026, 1, 10, 1, 30, tzinfo=dt.UTC)


def test_received_time_in_the_future_is_refused_on_its_field(client, agent, store):
    client.force_login(agent)

    response = client.post(URL, valid_post(store, received_at="2999-01-01T09:00"))

    assert "received_at" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_invalid_input_keeps_values_and_shows_field_errors(client, agent, store):
    client.force_login(agent)

    response = client.post(
        URL, valid_post(store, description="", purchased_on="not a date")
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"description", "purchased_on"}
    assert "换新机" in html
    assert "XQG100" in html
    assert 'value="138 1234 5678"' in html
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


def test_new_customer_needs_a_name(client, agent, store):
    client.force_login(agent)

    response = client.post(URL, valid_post(store, customer_name=""))

    assert "customer_name" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_known_customer_may_be_reused_without_retyping_the_name(client, agent, store):
    earlier = make_case(by=agent, store=store, customer_phone="13812345678")
    client.force_login(agent)

    response = client.post(
        URL, valid_post(store, customer_name="", customer_phone="+86 138-1234-5678")
    )

    assert response.status_code == 302
    assert Customer.objects.count() == 1
    assert Case.objects.latest("id").customer == earlier.customer


def test_contact_is_required(client, agent, store):
    client.force_login(agent)

    response = client.post(URL, valid_post(store, customer_phone=""))

    assert "customer_phone" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_service_refusal_lands_on_its_field(client, agent, store):
    """A DomainError with .field (here a malformed phone) shows on that field."""
    client.force_login(agent)

    response = client.post(URL, valid_post(store, customer_phone="12"))

    assert response.status_code == 400
    assert "customer_phone" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_subcategory_of_another_category_is_refused(client, agent, store):
    foreign = Category.objects.filter(parent__code="after_sales").first()
    client.force_login(agent)

    response = client.post(URL, valid_post(store, subcategory=foreign.pk))

    assert "subcategory" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_store_outside_the_users_stores_is_refused(client, agent, store):
    data = {**valid_post(store), "store": StoreFactory().pk}
    client.force_login(agent)

    response = client.post(URL, data)

    assert "store" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_attachments_are_stored_with_the_case(client, agent, store):
    client.force_login(agent)
    files = [
        SimpleUploadedFile("receipt.jpg", b"jpeg-bytes", content_type="image/jpeg"),
        SimpleUploadedFile("leak.mp4", b"video-bytes", content_type="video/mp4"),
    ]

    response = client.post(URL, {**valid_post(store), "attachments": files})

    case = Case.objects.get()
    assert response.status_code == 302
    stored = sorted(case.attachments.values_list("original_name", "size"))
    assert stored == [("leak.mp4", 11), ("receipt.jpg", 10)]
    assert case.attachments.first().uploaded_by == agent


def test_more_than_five_attachments_are_refused_and_nothing_is_saved(
    client, agent, store
):
    client.force_login(agent)
    files = [SimpleUploadedFile(f"p{i}.jpg", b"x") for i in range(6)]

    response = client.post(URL, {**valid_post(store), "attachments": files})

    assert response.status_code == 400
    assert "attachments" in response.context["form"].errors
    assert "please attach them again" in response.content.decode()
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Customer.objects.count() == 0


def test_too_large_attachment_is_refused(client, agent, store, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ATTACHMENT_BYTES", 1024)
    client.force_login(agent)
    big = SimpleUploadedFile("huge.jpg", b"x" * 2048)

    response = client.post(URL, {**valid_post(store), "attachments": [big]})

    assert "attachments" in response.context["form"].errors
    assert "huge.jpg" in response.content.decode()
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_subcategory_options_follow_the_category_via_htmx(client, agent):
    category = Category.objects.get(code="after_sales")
    client.force_login(agent)

    response = client.get(
        URL,
        {"category": category.pk},
        headers={"HX-Request": "true", "HX-Target": "subcategory-field"},
    )

    html = response.content.decode()
    options = set(response.context["form"].fields["subcategory"].queryset)
    assert html.lstrip().startswith('<div id="subcategory-field">')
    assert options == set(category.children.all())


def test_lookup_finds_customer_by_normalised_phone_masked_with_cases(
    client, agent, store
):
    case = make_case(by=agent, store=store, customer_phone="13812341234")
    client.force_login(agent)

    response = client.get(
        LOOKUP, {"customer_phone": "+86 138 1234 1234"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert "138****1234" in html
    assert "张**" in html
    assert case.number in html
    assert "13812341234" not in html
    assert "张三" not in html


def test_lookup_shows_only_earlier_cases_in_the_users_scope(
    client, agent, handler, store, logistics
):
    hidden = make_case(by=agent, store=store, department=logistics)
    client.force_login(handler)

    response = client.get(LOOKUP, {"customer_phone": "13812341234"})

    html = response.content.decode()
    assert "138****1234" in html
    assert hidden.number not in html
    assert "No earlier cases you can see." in html


def test_lookup_miss_says_new_customer(client, agent):
    client.force_login(agent)

    response = client.get(LOOKUP, {"customer_phone": "139 0000 0000"})

    html = response.content.decode()
    assert "New customer" in html
    assert "Known customer" not in html


def test_lookup_with_empty_phone_says_nothing(client, agent):
    client.force_login(agent)

    response = client.get(LOOKUP, {"customer_phone": " "})

    assert response.content.decode().strip() == ""
