"""The triage card in a real browser: meters drawn under the CSP (R-CL-3)."""

from __future__ import annotations

from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_case


def test_triage_card_draws_its_confidence_meters_under_the_csp(
    page, login, browser_errors, agent, store
):
    # Outside a test transaction the triage task runs when the intake commits.
    case = make_case(by=agent, store=store, description="快递三天还没到")
    login(agent)

    page.goto(reverse("cases:detail", args=[case.number]))

    card = page.locator("#triage")
    expect(card.locator("h2")).to_have_text("分诊")
    meter = card.locator("tr[data-field=category] meter")
    expect(meter).to_be_visible()
    assert meter.bounding_box()["width"] > 40
    assert int(meter.get_attribute("value")) > 0
    assert card.locator("meter").count() == 4
    assert browser_errors == []
