"""POST /api/v1/complaints: JSON and multipart, idempotency, field errors, scopes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from kesu.accounts.models import Role
from kesu.api.auth import CASES_READ, CASES_WRITE, COMPLAINTS_CREATE
from kesu.cases.models import Attachment, Case, Customer
from kesu.intake.models import IntakeRecord
from tests.api.conftest import issue_token
from tests.factories import UserFactory
from tests.intake.conftest import EXE, PDF, PNG, stored_files

pytestmark = pytest.mark.django_db

URL = "/api/v1/complaints"


@pytest.fixture
def app_user(db):
    """The account a mini-program's backend authenticates as."""
    return UserFactory(username="mini-program", role=Role.AGENT)


def client_for(user, scopes=(COMPLAINTS_CREATE,)) -> Client:
    return Client(headers={"Authorization": f"Bearer {issue_token(user, scopes)}"})


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "store": "sh-xuhui",
        "description": "洗碗机洗不干净。",
        "customer_name": "王五",
        "customer_phone": "13700001234",
        **overrides,
    }


def post_json(client: Client, data: Any, key: str = "") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        URL, json.dumps(data), content_type="application/json", headers=headers
    )


def test_json_complaint_is_created_with_201(app_user, agent, store):
    response = post_json(client_for(app_user), body(client="wechat-mini-program"))

    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get(number=data["number"])
    assert data["channel"] == "api"
    assert data["store"] == "sh-xuhui"
    assert data["first_response_due"] is not None
    assert case.owner == agent  # the store's agent, not the calling system
    record = IntakeRecord.objects.get(case=case)
    assert record.source["app"] == "wechat-mini-program"
    assert record.source["client"] == "mini-program"


def test_replayed_key_returns_200_with_the_same_number(app_user, agent, store):
    client = client_for(app_user)
    first = post_json(client, body(), key="retry-1")
    again = post_json(client, {**body(), "customer_name": "王五"}, key="retry-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1


def test_same_key_with_another_body_is_409(app_user, agent, store):
    client = client_for(app_user)
    post_json(client, body(), key="retry-2")

    response = post_json(client, body(description="别的问题"), key="retry-2")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert Case.objects.count() == 1


def test_keys_of_different_clients_do_not_collide(app_user, agent, store):
    other = UserFactory(username="other-app", role=Role.AGENT)
    first = post_json(client_for(app_user), body(), key="k")
    second = post_json(client_for(other), body(description="别的"), key="k")

    assert (first.status_code, second.status_code) == (201, 201)


def test_external_id_replays_without_a_key(app_user, agent, store):
    client = client_for(app_user)
    first = post_json(client, body(external_id="mp-123"))
    again = post_json(client, body(external_id="mp-123"))

    assert (first.status_code, again.status_code) == (201, 200)


def test_multipart_with_attachments(app_user, agent, store, upload, media):
    response = client_for(app_user).post(
        URL,
        {
            **body(channel="api", product=""),
            "attachments": [upload("a.png", PNG), upload("r.pdf", PDF)],
        },
        headers={"Idempotency-Key": "mp-1"},
    )

    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert case.attachments.count() == 2
    assert len(stored_files(media)) == 2


def test_multipart_with_wrong_file_type_creates_nothing(
    app_user, agent, store, upload, media
):
    response = client_for(app_user).post(
        URL, {**body(), "attachments": [upload("a.png", EXE, "image/png")]}
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "attachments"
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": ""}, "description"),
        ({"store": "nowhere"}, "store"),
        ({"channel": "fax"}, "channel"),
        ({"purchased_on": "yesterday"}, "purchased_on"),
        ({"received_at": "2026-11-20T10:00:00"}, "received_at"),
        ({"customer_phone": "", "customer_email": ""}, "customer_phone"),
        ({"product": 999999}, "product"),
    ],
)
def test_bad_fields_get_a_field_level_422(app_user, agent, store, data, field):
    response = post_json(client_for(app_user), body(**data))

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["field"] == field
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0


def test_missing_description_names_the_field(app_user, agent, store):
    data = body()
    del data["description"]

    response = post_json(client_for(app_user), data)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "description"


@pytest.mark.parametrize("raw", ["not json", "[1, 2]"])
def test_non_object_body_is_422(app_user, raw):
    response = client_for(app_user).post(URL, raw, content_type="application/json")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_overlong_idempotency_key_is_422(app_user, agent, store):
    response = post_json(client_for(app_user), body(), key="k" * 101)

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"


def test_token_without_intake_scope_is_403(app_user, store):
    client = client_for(app_user, scopes=(CASES_READ, CASES_WRITE))

    response = post_json(client, body())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"


def test_no_token_is_401(store):
    response = post_json(Client(), body())

    assert response.status_code == 401
    assert Case.objects.count() == 0


def test_intake_scope_cannot_read_cases(app_user):
    response = client_for(app_user).get("/api/v1/cases")

    assert response.status_code == 403


def test_openapi_describes_json_and_multipart_bodies(client):
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"][URL]["post"]
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "multipart/form-data",
    }
    assert "$defs" not in json.dumps(operation)
    assert "Channel" in schema["components"]["schemas"]
