"""The workflow scenario's steps take a new case from receipt to archive via the API."""

from __future__ import annotations

import pytest
from django.test import Client

from bench.scenarios import WORKFLOW_STEPS
from kesu.accounts.models import Store, User
from kesu.api.auth import CASES_READ, CASES_WRITE
from kesu.api.models import ApiToken
from kesu.cases.models import Case
from kesu.demo.generator import ensure_reference_data

pytestmark = pytest.mark.django_db


def test_workflow_steps_archive_the_case_and_end_with_a_deliberate_conflict():
    ensure_reference_data(progress=lambda message: None)
    manager = User.objects.get(username="manager")
    _token, raw = ApiToken.issue(
        user=manager, name="bench", scopes=[CASES_READ, CASES_WRITE]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    created = client.post(
        "/api/v1/cases",
        {
            "store": Store.objects.order_by("code").first().code,
            "description": "冰箱不制冷。",
            "customer_name": "测试顾客",
            "customer_phone": "13900000001",
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    base = "/api/v1/cases/" + created.json()["number"]
    statuses = [
        client.post(base + path, body, content_type="application/json").status_code
        for _method, path, body, _expected in WORKFLOW_STEPS
    ]
    assert statuses == [expected for *_rest, expected in WORKFLOW_STEPS]
    assert Case.objects.get().status == "archived"
