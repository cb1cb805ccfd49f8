"""Bearer tokens: hashed lookup, revocation, inactive users, scopes (issue 2)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kesu.api.auth import CASES_READ
from kesu.api.models import ApiToken
from kesu.cases.models import Case
from tests.api.conftest import ApiClient, issue_token

pytestmark = pytest.mark.django_db


def test_valid_token_authenticates_and_records_its_last_use(agent):
    raw = issue_token(agent)

    response = ApiClient(raw).get("/cases")

    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


def test_missing_token_is_401_with_bearer_challenge(db):
    response = ApiClient(None).get("/cases")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer kesu_not-a-token", "Basic YWdlbnQ6eA=="])
def test_unknown_token_or_other_scheme_is_401(agent, header):
    issue_token(agent)
    client = ApiClient(None)
    client.client.defaults["HTTP_AUTHORIZATION"] = header

    response = client.get("/cases")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_revoked_token_is_401(agent):
    raw = issue_token(agent)
    ApiToken.objects.update(revoked_at=timezone.now())

    response = ApiClient(raw).get("/cases")

    assert response.status_code == 401


def test_token_of_inactive_user_is_401(agent):
    raw = issue_token(agent)
    agent.is_active = False
    agent.save()

    response = ApiClient(raw).get("/cases")

    assert response.status_code == 401


def test_read_only_token_cannot_create_and_nothing_is_created(agent, store):
    client = ApiClient(issue_token(agent, (CASES_READ,)))

    response = client.post(
        "/cases",
        {"store": store.code, "description": "噪音", "customer_phone": "13812341234"},
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert "cases:write" in response.json()["error"]["message"]
    assert not Case.objects.exists()


def test_write_only_token_cannot_read(agent):
    client = ApiClient(issue_token(agent, ("cases:write",)))

    response = client.get("/cases")

    assert response.status_code == 403
