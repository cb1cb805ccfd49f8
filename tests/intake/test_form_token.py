"""The public form's one-time token: a repeated post returns the first case (R-IN-5)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kesu.cases.models import Attachment, Case
from kesu.intake.forms import form_token_issue, form_token_read
from kesu.intake.models import IntakeRecord
from kesu.intake.views import RECEIPT_SALT
from tests.cases.test_numbering_concurrency import run_in_threads
from tests.intake.conftest import PNG, stored_files
from tests.intake.test_views import URL, form_data

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'<input type="hidden" name="form_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def shown_number(location: str) -> str:
    """The case number a confirmation link shows (the link is timestamped)."""
    token = location.rstrip("/").rsplit("/", 1)[-1]
    return str(signing.loads(token, salt=RECEIPT_SALT))


def page_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the form carries no token"
    return match.group(1)


def test_rendered_form_carries_a_fresh_signed_token(client):
    first = page_token(client.get(URL).content.decode())
    second = page_token(client.get(URL).content.decode())

    assert first != second
    assert form_token_read(first)
    assert form_token_read(second)


def test_same_post_twice_makes_one_case_and_the_same_confirmation(client, store, agent):
    data = form_data(store, form_token=page_token(client.get(URL).content.decode()))

    first = client.post(URL, data)
    second = client.post(URL, data, follow=True)

    assert first.status_code == 302
    case = Case.objects.get()
    assert shown_number(first["Location"]) == case.number
    assert shown_number(second.redirect_chain[0][0]) == case.number
    assert case.number in second.content.decode()
    record = IntakeRecord.objects.get()
    assert record.idempotency_key.startswith("web:form:")


def test_resubmitted_attachments_are_stored_once(client, store, agent, media):
    data = form_data(store)
    posts = [
        {**data, "attachments": [SimpleUploadedFile("photo.png", PNG, "image/png")]}
        for _ in range(2)
    ]

    responses = [client.post(URL, post) for post in posts]

    assert [r.status_code for r in responses] == [302, 302]
    assert shown_number(responses[0]["Location"]) == Case.objects.get().number
    assert shown_number(responses[1]["Location"]) == Case.objects.get().number
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_back_edit_and_resubmit_is_refused_then_a_new_token_files_it(
    client, store, agent
):
    data = form_data(store)
    client.post(URL, data)

    edited = client.post(URL, {**data, "description": "补充：漏水更严重了。"})

    assert edited.status_code == 400
    html = edited.content.decode()
    assert "already sent, with other content" in html
    assert "补充：漏水更严重了。" in html  # the form is kept
    renewed = page_token(html)
    assert renewed != data["form_token"]
    assert Case.objects.count() == 1

    again = client.post(
        URL, {**data, "description": "补充：漏水更严重了。", "form_token": renewed}
    )

    assert again.status_code == 302
    assert Case.objects.count() == 2


def assert_token_refused(response: Any, sent: str) -> None:
    assert response.status_code == 400
    html = response.content.decode()
    assert "This form had expired or was changed on the way" in html
    assert "空调安装后漏水" in html  # the rest of the form is kept
    assert 'value="赵六"' in html
    renewed = page_token(html)
    assert renewed != sent
    assert form_token_read(renewed)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "token",
    ["", "not-a-token", form_token_issue()[:-2] + "xx"],
    ids=["missing", "garbage", "tampered"],
)
def test_missing_or_tampered_token_is_refused_and_the_form_kept(
    client, store, agent, token
):
    response = client.post(URL, form_data(store, form_token=token))

    assert_token_refused(response, token)


def test_token_signed_for_something_else_is_refused(client, store, agent):
    token = signing.dumps("a" * 32, salt="kesu.intake.receipt")

    response = client.post(URL, form_data(store, form_token=token))

    assert_token_refused(response, token)


def test_expired_token_is_refused_and_a_fresh_one_works(client, store, agent):
    data = form_data(store)

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)):
        response = client.post(URL, data)

        assert_token_refused(response, data["form_token"])
        again = client.post(
            URL, {**data, "form_token": page_token(response.content.decode())}
        )

    assert again.status_code == 302
    assert Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_click_makes_exactly_one_case(store, agent):
    """Both clicks race into intake; the unique key decides, both see one number."""
    data = form_data(store)
    locations: list[str] = []

    def click(index: int) -> None:
        response = Client().post(URL, data)
        assert response.status_code == 302, response.content.decode()[:500]
        locations.append(response["Location"])

    errors = run_in_threads(4, click)

    assert errors == []
    assert Case.objects.count() == 1
    assert {shown_number(location) for location in locations} == {
        Case.objects.get().number
    }
