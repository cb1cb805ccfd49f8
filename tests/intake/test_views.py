"""The public complaint form: no login, evidence checks, anti-abuse, confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kesu.cases.models import Case, Customer
from kesu.cases.services.intake import MAX_ATTACHMENT_BYTES
from kesu.intake.forms import form_token_issue
from kesu.intake.models import IntakeRecord
from kesu.intake.views import RECEIPT_SALT
from tests.intake.conftest import EXE, PDF, PNG, stored_files

pytestmark = pytest.mark.django_db

URL = "/complaint/"


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


def form_data(store, **overrides: Any) -> dict[str, Any]:
    return {
        "customer_name": "赵六",
        "customer_phone": "13600005678",
        "customer_email": "zhao@example.com",
        "store": store.pk,
        "description": "空调安装后漏水，墙面都湿了。",
        "demand": "上门维修并赔偿墙面",
        "serial_number": "SN-42",
        "consent": "on",
        "website": "",
        "form_token": form_token_issue(),
        **overrides,
    }


def test_form_is_public_and_mobile_ready(client, store):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="viewport"' in html
    assert 'name="consent"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_submission_shows_number_and_promised_response_time(client, store, agent):
    response = client.post(URL, form_data(store), follow=True)

    assert response.status_code == 200
    case = Case.objects.get()
    assert case.channel == "web"
    assert case.owner == agent
    assert case.serial_number == "SN-42"
    html = response.content.decode()
    assert case.number in html
    assert "We will contact you by" in html
    assert IntakeRecord.objects.get(case=case).source["consent"] is True


def test_acknowledgement_mail_is_sent_when_an_address_is_given(
    client, store, agent, django_capture_on_commit_callbacks
):
    """Uses Django's test outbox (locmem) in this slice."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data(store))

    assert len(mail.outbox) == 1
    assert Case.objects.get().number in mail.outbox[0].body


def test_attachments_are_stored(client, store, agent, media):
    files = [
        SimpleUploadedFile("photo.png", PNG, "image/png"),
        SimpleUploadedFile("receipt.pdf", PDF, "application/pdf"),
    ]
    response = client.post(URL, form_data(store, attachments=files))

    assert response.status_code == 302
    assert Case.objects.get().attachments.count() == 2
    assert len(stored_files(media)) == 2


def assert_refused_and_kept(response: Any, field: str | None, text: str) -> None:
    assert response.status_code == 400
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    html = response.content.decode()
    assert text in html
    assert "空调安装后漏水" in html  # the rest of the form is kept
    assert 'value="赵六"' in html
    if field:
        assert field in response.context["form"].errors


def test_oversize_file_is_refused_and_the_form_kept(client, store, agent):
    big = SimpleUploadedFile("big.png", PNG + b"\0" * MAX_ATTACHMENT_BYTES, "image/png")

    response = client.post(URL, form_data(store, attachments=[big]))

    assert_refused_and_kept(response, "attachments", "larger than 10 MB")
    assert "please attach them again" in response.content.decode()


def test_file_of_wrong_type_by_content_is_refused(client, store, agent):
    fake = SimpleUploadedFile("photo.jpg", EXE, "image/jpeg")

    response = client.post(URL, form_data(store, attachments=[fake]))

    assert_refused_and_kept(response, "attachments", "is not a photo, PDF or audio")


def test_more_than_five_files_are_refused(client, store, agent):
    files = [SimpleUploadedFile(f"{n}.png", PNG, "image/png") for n in range(6)]

    response = client.post(URL, form_data(store, attachments=files))

    assert_refused_and_kept(response, "attachments", "at most 5 files")


def test_consent_is_required(client, store, agent):
    data = form_data(store)
    del data["consent"]

    response = client.post(URL, data)

    assert_refused_and_kept(response, "consent", "This field is required")


def test_contact_is_required(client, store, agent):
    response = client.post(URL, form_data(store, customer_phone="", customer_email=""))

    assert_refused_and_kept(response, "customer_phone", "Give a phone number")


def test_invalid_phone_from_the_service_lands_on_its_field(client, store, agent):
    response = client.post(URL, form_data(store, customer_phone="12"))

    assert_refused_and_kept(response, "customer_phone", "valid phone number")


def test_filled_honeypot_creates_nothing(client, store, agent):
    response = client.post(URL, form_data(store, website="http://spam.example"))

    assert_refused_and_kept(response, None, "could not be accepted")


def test_form_requires_csrf_token(store, agent):
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, form_data(store))

    assert response.status_code == 403
    assert Case.objects.count() == 0


def test_rate_limit_per_ip_returns_a_friendly_429(client, store, agent, settings):
    settings.KESU_INTAKE_FORM_RATE = 2
    for n in range(2):
        client.post(URL, form_data(store, customer_phone=f"1360000{n:04d}"))

    response = client.post(URL, form_data(store, customer_phone="13600009999"))
    other_ip = client.post(
        URL, form_data(store, customer_phone="13600008888"), REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 429
    assert "Please wait a little" in response.content.decode()
    assert other_ip.status_code == 302
    assert Case.objects.count() == 3


def test_no_agent_anywhere_shows_an_error_not_a_crash(client, store):
    response = client.post(URL, form_data(store))

    assert response.status_code == 400
    assert "could not record your complaint" in response.content.decode()
    assert Case.objects.count() == 0


@pytest.mark.parametrize("token", ["garbage", "KS-20261122-0001"])
def test_confirmation_with_a_forged_link_is_404(client, token):
    response = client.get(reverse("intake:received", args=[token]))

    assert response.status_code == 404


def test_confirmation_of_an_unknown_case_is_404(client):
    token = signing.dumps("KS-20000101-0001", salt=RECEIPT_SALT)

    response = client.get(reverse("intake:received", args=[token]))

    assert response.status_code == 404
