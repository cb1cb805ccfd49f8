"""The staff login page and the base layout around it."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LOGIN = reverse("web:login")


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English source strings, whatever the default language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_login_page_renders_without_inline_script_or_style(client):
    response = client.get(LOGIN)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="username"' in html
    assert "<script>" not in html
    assert "style=" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_valid_credentials_lead_to_the_case_list(client, agent):
    response = client.post(LOGIN, {"username": "agent", "password": "pass-for-tests-1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:list")


def test_wrong_password_shows_an_error_and_stays_logged_out(client, agent):
    response = client.post(LOGIN, {"username": "agent", "password": "wrong"})

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_logged_in_layout_shows_queues_and_user(client, agent):
    client.force_login(agent)

    html = client.get(reverse("cases:list"), {"queue": "mine"}).content.decode()

    assert "?queue=team" in html
    assert 'aria-current="page">My cases' in html
    assert "agent" in html
