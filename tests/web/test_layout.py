"""The base layout's capability flags and the shared signed-in-user helper."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from kesu.web.auth import signed_in_user
from kesu.web.context_processors import kesu
from tests.factories import make_case

pytestmark = pytest.mark.django_db

NEW_CASE_LINK = f'class="button primary" href="{reverse("cases:new")}"'


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("agent", True), ("handler", True), ("supervisor", True), ("quality", False)],
)
def test_can_create_case_follows_the_role(request, persona, expected):
    user = request.getfixturevalue(persona)

    context = kesu(_request(user))

    assert context["can_create_case"] is expected


def test_anonymous_and_inactive_users_cannot_create_cases(agent):
    agent.is_active = False

    assert kesu(_request(AnonymousUser()))["can_create_case"] is False
    assert kesu(_request(agent))["can_create_case"] is False


def test_top_bar_offers_new_case_only_to_roles_that_may_create(client, agent, quality):
    """Quality would get a 403 from the entry form, so the top bar hides it."""
    case = make_case(by=agent)
    url = reverse("cases:detail", args=[case.number])

    client.force_login(agent)
    agent_html = client.get(url).content.decode()
    client.force_login(quality)
    quality_response = client.get(url)

    assert NEW_CASE_LINK in agent_html
    assert quality_response.status_code == 200
    assert NEW_CASE_LINK not in quality_response.content.decode()


def test_signed_in_user_returns_the_staff_user(agent):
    assert signed_in_user(_request(agent)) == agent


def test_signed_in_user_refuses_an_anonymous_request():
    """A view that forgot login_required fails closed instead of passing a non-User."""
    with pytest.raises(PermissionDenied):
        signed_in_user(_request(AnonymousUser()))
