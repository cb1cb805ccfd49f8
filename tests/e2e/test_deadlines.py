"""Deadlines and notifications in a real browser (issue 4).

The countdown is the one piece of behaviour that lives in JavaScript (kesu.js, under
CSP): the server renders the badge, the script rewrites its time and turns it red.
"""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from kesu.notifications.services import notify
from kesu.sla.models import SlaPolicy
from tests.factories import make_case

BADGE = "#results .deadline[data-due]"


def test_countdown_badge_is_written_by_the_script_and_turns_red_when_due(
    page, login, browser_errors, agent, store
):
    _general_policy()  # transactional tests flush the rows the migrations seeded
    # Response due in 30 min; received 29 min ago, so it falls due while we look.
    case = make_case(
        by=agent,
        store=store,
        received_at=timezone.now() - dt.timedelta(minutes=29),
    )
    due = case.clocks.get(kind="response").due_at
    login(agent)
    page.goto(reverse("cases:list"))

    badge = page.locator(BADGE).first
    assert timezone.now() < due, "the machine was too slow to see the clock running"
    expect(badge).to_have_attribute("data-state", "warning")
    expect(badge.locator("[data-countdown]")).to_have_text(re.compile(r"\d"))
    page.wait_for_timeout((due - timezone.now()).total_seconds() * 1000 + 1000)
    # The script ticks every 30 s and after every htmx swap; take the swap's path.
    page.evaluate("document.body.dispatchEvent(new Event('htmx:afterSettle'))")

    expect(badge).to_have_attribute("data-state", "breached")
    expect(badge).to_have_class(re.compile(r"state-breached"))
    assert browser_errors == []


def _general_policy() -> None:
    SlaPolicy.objects.all().delete()
    policy = SlaPolicy.objects.create(name="一般", name_en="general")
    policy.targets.create(kind="response", amount=30, unit="minutes")


def test_notification_count_shows_and_opening_one_leads_to_the_case(
    page, login, browser_errors, agent, store
):
    case = make_case(by=agent, store=store)
    notify(
        recipients=[agent],
        kind="deadline.breach",
        title=lambda: f"{case.number}: test",
        key="e2e",
        case=case,
        url=reverse("cases:detail", args=[case.number]),
    )
    login(agent)

    count = page.locator("#notification-count .count-badge")
    expect(count).to_have_text("1")
    page.click("#notification-count")
    page.locator("form.notification.unread button[type=submit]").click()

    page.wait_for_url(re.compile(re.escape(case.number)))
    expect(page.locator("#notification-count .count-badge")).to_have_count(0)
    assert browser_errors == []
