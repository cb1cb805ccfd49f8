"""The mail poll chain, the `poll_mail` command and the mailbox admin (no IMAP needed).

The mailboxes here point at a closed loopback port: a poll fails fast and records
why, which is all these tests need.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from kesu.accounts.models import Store
from kesu.intake.models import Mailbox
from kesu.intake.tasks import mail_polls_schedule, poll_mailbox


@pytest.fixture(autouse=True)
def _english(settings) -> Iterator[None]:
    """Assertions read the English source strings, whatever is translated."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox(store: Store) -> Mailbox:
    return Mailbox.objects.create(
        name="service",
        store=store,
        host="127.0.0.1",
        port=closed_port(),
        username="complaints",
        password="app-password",  # noqa: S106
        poll_seconds=120,
    )


@pytest.fixture
def database_tasks(settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith="poll_mailbox"))


def test_mailbox_is_tls_by_default_with_password_encrypted_at_rest(mailbox):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM intake_mailbox WHERE id = %s", [mailbox.pk]
        )
        (stored,) = cursor.fetchone()

    assert mailbox.tls_mode == "tls"
    assert mailbox.port != 143
    assert stored
    assert "app-password" not in stored
    assert Mailbox.objects.get().password == "app-password"


@pytest.mark.usefixtures("database_tasks")
def test_scheduling_twice_leaves_one_live_chain(
    mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail_polls_schedule([mailbox])
    old_chain = str(Mailbox.objects.get().poll_chain)
    with django_capture_on_commit_callbacks(execute=True):
        mail_polls_schedule([mailbox])
    chain = str(Mailbox.objects.get().poll_chain)
    first_two = {task.pk for task in queued()}
    assert len(first_two) == 2

    stale = poll_mailbox.call(mailbox.pk, old_chain)

    assert stale == {}
    assert len(queued()) == 2
    assert Mailbox.objects.get().last_polled_at is None

    before = timezone.now()
    poll_mailbox.call(mailbox.pk, chain)

    following = [task for task in queued() if task.pk not in first_two]
    assert len(following) == 1
    assert following[0].args_kwargs["args"] == [mailbox.pk, chain]
    expected = before + dt.timedelta(seconds=120)
    assert abs(following[0].run_after - expected) < dt.timedelta(seconds=30)
    assert Mailbox.objects.get().last_error


@pytest.mark.usefixtures("database_tasks")
def test_unscheduled_mailbox_is_not_polled(mailbox):
    result = poll_mailbox.call(mailbox.pk, "None")

    assert result == {}
    assert Mailbox.objects.get().last_polled_at is None


@pytest.mark.usefixtures("database_tasks")
def test_inactive_mailbox_ends_its_chain(mailbox):
    mail_polls_schedule([mailbox])
    chain = str(Mailbox.objects.get().poll_chain)
    Mailbox.objects.update(is_active=False)

    result = poll_mailbox.call(mailbox.pk, chain)

    assert result == {}
    assert queued() == []


def test_poll_holding_the_lease_is_not_overlapped(mailbox):
    mail_polls_schedule([mailbox])
    Mailbox.objects.update(poll_started_at=timezone.now())

    result = poll_mailbox.call(mailbox.pk, str(mailbox.poll_chain))
    err = StringIO()
    call_command("poll_mail", stderr=err)

    assert result is None
    assert err.getvalue() == "service: another poll is running\n"
    assert Mailbox.objects.get().last_polled_at is None


def test_immediate_backend_polls_once_without_recursing(mailbox):
    mail_polls_schedule([mailbox])

    result = poll_mailbox.call(mailbox.pk, str(Mailbox.objects.get().poll_chain))

    assert result == {}
    assert "refused" in Mailbox.objects.get().last_error.lower()


def test_poll_mail_command_reports_each_mailbox(mailbox):
    out, err = StringIO(), StringIO()

    call_command("poll_mail", stdout=out, stderr=err)

    assert err.getvalue().startswith("service: ")
    assert Mailbox.objects.get().last_error


@pytest.mark.usefixtures("database_tasks")
def test_poll_mail_schedule_enqueues_one_task_per_mailbox(
    mailbox, store, django_capture_on_commit_callbacks
):
    Mailbox.objects.create(
        name="off", store=store, host="x", username="u", is_active=False
    )
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("poll_mail", "--schedule", stdout=out)

    assert out.getvalue().strip() == "scheduled 1 mailbox poll(s)"
    assert [task.args_kwargs["args"][0] for task in queued()] == [mailbox.pk]


def test_poll_mail_command_refuses_an_unknown_mailbox(mailbox):
    with pytest.raises(CommandError, match="no active mailbox"):
        call_command("poll_mail", "--mailbox", "nope")


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(
        username="root", password="pw-unused", email="root@example.com"
    )
    client.force_login(admin)
    return client


def _form(mailbox: Mailbox, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": mailbox.name,
        "store": mailbox.store_id,
        "host": mailbox.host,
        "port": mailbox.port,
        "tls_mode": "tls",
        "username": mailbox.username,
        "password": "",
        "folder": mailbox.folder,
        "poll_seconds": mailbox.poll_seconds,
        "is_active": "on",
    }
    data.update(changes)
    return data


def test_admin_never_shows_the_password_and_keeps_it_when_left_empty(
    admin_client, mailbox
):
    url = f"/admin/intake/mailbox/{mailbox.pk}/change/"

    page = admin_client.get(url)
    response = admin_client.post(url, _form(mailbox, folder="Complaints"))

    assert page.status_code == 200
    assert "app-password" not in page.content.decode()
    assert response.status_code == 302
    saved = Mailbox.objects.get()
    assert (saved.folder, saved.password) == ("Complaints", "app-password")


def test_admin_replaces_the_password_and_refuses_fast_polling(admin_client, mailbox):
    url = f"/admin/intake/mailbox/{mailbox.pk}/change/"

    refused = admin_client.post(url, _form(mailbox, poll_seconds=1))
    admin_client.post(url, _form(mailbox, password="new-app-password"))

    assert refused.status_code == 200
    assert "every 10 seconds" in refused.content.decode()
    assert Mailbox.objects.get().password == "new-app-password"


def test_admin_requires_a_password_for_a_new_mailbox(admin_client, store):
    response = admin_client.post(
        "/admin/intake/mailbox/add/",
        {
            "name": "new",
            "store": store.pk,
            "host": "imap.example.com",
            "port": 993,
            "tls_mode": "tls",
            "username": "u",
            "password": "",
            "folder": "INBOX",
            "poll_seconds": 60,
        },
    )

    assert response.status_code == 200
    assert not Mailbox.objects.exists()


def test_admin_lists_mailboxes_with_counts(admin_client, mailbox):
    response = admin_client.get("/admin/intake/mailbox/")

    assert response.status_code == 200
    assert "service" in response.content.decode()
