"""Every API error has one JSON shape with a stable code and the field named."""

from __future__ import annotations

import pytest

from kesu.cases.models import Case, Customer
from tests.api.conftest import ApiClient
from tests.factories import make_case

pytestmark = pytest.mark.django_db


def envelope(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field", "details"}
    return body["error"]


def test_missing_fields_are_422_with_each_field_and_its_location(api_as, agent):
    response = api_as(agent).post("/cases", {"severity": "catastrophic"})

    error = envelope(response)
    assert response.status_code == 422
    assert error["code"] == "validation_error"
    problems = {(d["location"], d["field"]) for d in error["details"]}
    assert problems == {
        ("body", "store"),
        ("body", "description"),
        ("body", "severity"),
    }
    assert error["field"] in {"store", "description", "severity"}


def test_unknown_store_names_the_field_and_creates_nothing(api_as, agent):
    response = api_as(agent).post(
        "/cases",
        {"store": "atlantis", "description": "漏水", "customer_phone": "13812341234"},
    )

    error = envelope(response)
    assert response.status_code == 422
    assert error["code"] == "invalid"
    assert error["field"] == "store"
    assert not Case.objects.exists()


def test_bad_phone_names_the_customer_field_and_creates_nothing(api_as, agent, store):
    response = api_as(agent).post(
        "/cases",
        {"store": store.code, "description": "漏水", "customer_phone": "call me"},
    )

    assert response.status_code == 422
    assert envelope(response)["field"] == "customer_phone"
    assert not Case.objects.exists()
    assert not Customer.objects.exists()


def test_service_validation_after_customer_creation_rolls_back(api_as, agent, store):
    response = api_as(agent).post(
        "/cases",
        {
            "store": store.code,
            "description": "漏水",
            "customer_phone": "13812341234",
            "purchased_on": "2999-01-01",
        },
    )

    assert response.status_code == 422
    assert envelope(response)["field"] == "purchased_on"
    assert not Customer.objects.exists()


def test_subcategory_of_another_category_names_the_field(api_as, agent, store):
    response = api_as(agent).post(
        "/cases",
        {
            "store": store.code,
            "description": "漏水",
            "customer_phone": "13812341234",
            "category": "product_quality",
            "subcategory": "nonexistent-sub",
        },
    )

    assert response.status_code == 422
    assert envelope(response)["field"] == "subcategory"


def test_naive_received_time_is_refused(api_as, agent, store):
    response = api_as(agent).post(
        "/cases",
        {
            "store": store.code,
            "description": "漏水",
            "customer_phone": "13812341234",
            "received_at": "2026-11-20T09:30:00",
        },
    )

    assert response.status_code == 422
    assert envelope(response)["field"] == "received_at"


def test_malformed_json_is_400_in_the_envelope(api_as, agent):
    client = api_as(agent)

    response = client.client.post(
        "/api/v1/cases", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert envelope(response)["code"] == "bad_request"


def test_unknown_action_is_422_naming_the_action(api_as, agent, store):
    case = make_case(by=agent, store=store)

    response = api_as(agent).post(f"/cases/{case.number}/actions/teleport")

    error = envelope(response)
    assert response.status_code == 422
    assert error["field"] == "action"
    assert error["details"][0]["location"] == "path"
    assert "verify" in error["details"][0]["message"]


def test_unknown_case_is_404_in_the_envelope(api_as, agent):
    response = api_as(agent).get("/cases/KS-20000101-0001")

    assert response.status_code == 404
    assert envelope(response)["code"] == "not_found"


def test_transition_not_in_the_table_is_409(api_as, agent, store):
    case = make_case(by=agent, store=store)

    response = api_as(agent).post(f"/cases/{case.number}/actions/archive")

    error = envelope(response)
    assert response.status_code == 409
    assert error["code"] == "transition_not_allowed"
    assert error["message"]


def test_role_without_capability_is_403(api_as, agent, store, quality):
    case = make_case(by=agent, store=store)

    response = api_as(quality).post(f"/cases/{case.number}/actions/verify")

    assert response.status_code == 403
    assert envelope(response)["code"] == "permission_denied"
    case.refresh_from_db()
    assert case.status == "received"


def test_unauthenticated_error_uses_the_envelope(db):
    response = ApiClient(None).post("/cases", {})

    assert response.status_code == 401
    assert envelope(response)["field"] is None


def test_openapi_document_lists_the_endpoints(db, client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Kesu API"
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/actions/{action}",
        "/api/v1/cases/{number}/plans/{plan_id}/decision",
        "/api/v1/cases/{number}/unmask",
    } <= set(document["paths"])
    create = document["paths"]["/api/v1/cases"]["post"]
    assert {"201", "422"} <= set(create["responses"])
    assert document["components"]["securitySchemes"]


def test_docs_page_is_served_without_a_cdn(db, client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content


def test_unknown_endpoint_is_404_in_the_envelope(api_as, agent):
    response = api_as(agent).get("/nothing/here")

    assert response.status_code == 404
    assert envelope(response)["code"] == "not_found"


def test_unexpected_failure_is_500_in_the_envelope_without_internals(
    api_as, agent, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("kesu.cases.api.case_list", broken)
    client = api_as(agent)
    client.client.raise_request_exception = False

    response = client.get("/cases")

    assert response.status_code == 500
    assert envelope(response)["code"] == "server_error"
    assert b"secret internals" not in response.content
