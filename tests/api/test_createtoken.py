"""Issuing tokens with `createtoken` and in the admin; the key is shown once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kesu.api.models import ApiToken, hash_token
from tests.api.conftest import ApiClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run_createtoken(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("createtoken", *args, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_createtoken_prints_a_key_that_authenticates(agent):
    key = run_createtoken("agent", "--name", "crm", "--scope", "cases:write")

    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(key)
    assert key not in (token.key_hash, token.key_hint)
    assert token.name == "crm"
    assert token.scopes == ["cases:write"]
    assert ApiClient(key).post("/cases", {}).status_code == 422


def test_createtoken_defaults_to_read_only(agent):
    key = run_createtoken("agent")

    assert ApiToken.objects.get().scopes == ["cases:read"]
    assert ApiClient(key).get("/cases").status_code == 200
    assert ApiClient(key).post("/cases", {}).status_code == 403


def test_createtoken_refuses_unknown_or_inactive_users(agent):
    agent.is_active = False
    agent.save()

    with pytest.raises(CommandError):
        run_createtoken("nobody")
    with pytest.raises(CommandError):
        run_createtoken("agent")
    assert not ApiToken.objects.exists()


def test_createtoken_refuses_unknown_scopes(agent):
    with pytest.raises(CommandError):
        run_createtoken("agent", "--scope", "everything")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_admin_issues_a_token_and_shows_the_key_once(admin_client, agent):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {"user": agent.pk, "name": "erp", "scopes": ["cases:read", "cases:write"]},
        follow=True,
    )

    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    key = next(word for m in shown for word in m.split() if word.startswith("kesu_"))
    assert token.key_hash == hash_token(key)
    assert key.encode() in response.content
    assert token.scopes == ["cases:read", "cases:write"]
    assert ApiClient(key).get("/cases").status_code == 200
    later = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/")
    listing = admin_client.get("/admin/api/apitoken/")
    assert key.encode() not in later.content + listing.content
    assert token.key_hint.encode() in listing.content


def test_admin_revoke_action_disables_the_token(admin_client, agent):
    token, key = ApiToken.issue(user=agent, name="erp", scopes=["cases:read"])

    admin_client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(key).get("/cases").status_code == 401
    assert b"erp" in admin_client.get("/admin/api/apitoken/?revoked=yes").content
