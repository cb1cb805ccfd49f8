"""The staff notification centre: sent once per key, read in the reader's language."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from kesu.notifications.models import Notification
from kesu.notifications.selectors import unread_count
from kesu.notifications.services import notifications_mark_read, notify
from tests.factories import make_case

pytestmark = pytest.mark.django_db
LIST = reverse("notifications:list")


def send(users, key="k1", case=None, url=""):
    return notify(
        recipients=users,
        kind="test",
        title=lambda: translation.gettext("Notifications"),
        key=key,
        case=case,
        url=url,
    )


def test_the_same_key_notifies_each_person_once(agent, handler):
    assert send([agent, handler]) == 2
    assert send([agent, handler]) == 0
    assert Notification.objects.count() == 2


def test_inactive_people_are_not_notified(agent, handler):
    handler.is_active = False
    handler.save()

    assert send([agent, handler]) == 1


def test_title_is_stored_in_every_language_and_read_in_the_current_one(agent):
    send([agent])
    notification = Notification.objects.get()

    with translation.override("en"):
        english = notification.title
    with translation.override("zh-hans"):
        chinese = notification.title

    assert english == "Notifications"
    assert chinese == "通知"


def test_unread_count_shows_in_the_top_bar_and_drops_when_read(client, agent):
    send([agent], key="a")
    send([agent], key="b")
    client.force_login(agent)

    page = client.get(reverse("cases:list")).content.decode()
    notifications_mark_read(user=agent)
    after = client.get(reverse("cases:list")).content.decode()

    assert 'class="count-badge"' in page
    assert ">2</span>" in page
    assert 'class="count-badge"' not in after
    assert unread_count(agent) == 0


def test_opening_marks_read_and_goes_to_the_case(client, agent, store):
    case = make_case(by=agent, store=store)
    url = reverse("cases:detail", args=[case.number])
    send([agent], case=case, url=url)
    notification = Notification.objects.get()
    client.force_login(agent)

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    notification.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == url
    assert notification.read_at is not None


def test_an_outside_link_is_not_followed(client, agent):
    send([agent], url="https://evil.example/")
    notification = Notification.objects.get()
    client.force_login(agent)

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response["Location"] == LIST


def test_someone_elses_notification_is_not_found(client, agent, handler):
    send([handler])
    notification = Notification.objects.get()
    client.force_login(agent)

    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_list_shows_own_notifications_and_filters_unread(client, agent, handler):
    send([agent], key="mine")
    send([handler], key="theirs")
    notifications_mark_read(user=agent)
    send([agent], key="new")
    client.force_login(agent)

    everything = client.get(LIST)
    unread = client.get(LIST, {"show": "unread"})

    assert everything.content.decode().count('data-kind="test"') == 2
    assert unread.content.decode().count('data-kind="test"') == 1


def test_mark_all_read(client, agent):
    send([agent], key="a")
    send([agent], key="b")
    client.force_login(agent)

    client.post(reverse("notifications:read_all"))

    assert unread_count(agent) == 0


def test_the_centre_needs_a_login(client):
    assert client.get(LIST).status_code == 302
