"""An API client that speaks JSON with a bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from kesu.accounts.models import User
from kesu.api.auth import CASES_READ, CASES_WRITE
from kesu.api.models import ApiToken

BASE = "/api/v1"


class ApiClient:
    """Calls /api/v1 paths; `token=None` sends no Authorization header."""

    def __init__(self, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = Client(headers=headers)

    def get(self, path: str, params: Any = None) -> Any:
        return self.client.get(BASE + path, params or {})

    def post(self, path: str, body: Any = None) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(BASE + path, data, content_type="application/json")


def issue_token(user: User, scopes: tuple[str, ...] = (CASES_READ, CASES_WRITE)) -> str:
    return ApiToken.issue(user=user, name="test", scopes=list(scopes))[1]


@pytest.fixture
def api_as() -> Callable[..., ApiClient]:
    def make(
        user: User, scopes: tuple[str, ...] = (CASES_READ, CASES_WRITE)
    ) -> ApiClient:
        return ApiClient(issue_token(user, scopes))

    return make
