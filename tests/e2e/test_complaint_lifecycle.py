"""One complaint from intake to archive in a real browser (issue 2).

The UI speaks zh-Hans and its translations change, so nothing here selects by visible
text: form field names, panel ids (`panel-<action>`), `#case-status[data-status]` and
the timeline's `li[data-type]` are the hooks.
"""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from playwright.sync_api import expect

from kesu.cases.models import Case
from tests.factories import make_case

CASE_URL = re.compile(r"/cases/(KS-\d{8}-\d{4})/$")
EVENTS = "#timeline li[data-type]"


def _log_out(page: Any) -> None:
    with page.expect_navigation():
        page.click(f"form[action='{reverse('web:logout')}'] button[type=submit]")


def _submit(page: Any, panel: str, **choices: str) -> None:
    """Fill the panel's fields by name and press its (first) submit button."""
    form = page.locator(f"#panel-{panel} form")
    for name, value in choices.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").first.click()


def _expect_step(page: Any, status: str, events: list[str]) -> None:
    """The badge shows `status` and the timeline holds exactly `events`, in order."""
    expect(page.locator("#case-status")).to_have_attribute("data-status", status)
    expect(page.locator(EVENTS)).to_have_count(len(events))
    types = page.locator(EVENTS).evaluate_all("els => els.map(e => e.dataset.type)")
    assert types == events


def test_complaint_goes_from_intake_to_archive_with_approved_compensation(
    page, login, browser_errors, agent, handler, supervisor, after_sales, settings
):
    """R-IN-2, R-IN-4, R-WF-1, R-WF-2: every step is a status and a timeline event."""
    settings.KESU_COMPENSATION_APPROVAL_THRESHOLD = 500
    # Without automatic triage: what it writes depends on the model (tests/triage).
    settings.KESU_CASE_EVENT_HANDLERS = ["kesu.sla.services.on_case_event"]

    login(agent)
    page.goto(reverse("cases:new"))
    page.select_option("select[name=channel]", "phone")
    page.fill("input[name=customer_phone]", "13700007777")
    expect(page.locator("#customer-lookup .lookup-miss")).to_be_visible()
    page.fill("input[name=customer_name]", "王芳")
    page.fill("textarea[name=description]", "冰箱冷藏室不制冷，食物变质。")
    page.fill("textarea[name=demand]", "上门维修并赔偿损失。")
    page.click(f"form[action='{reverse('cases:new')}'] button[type=submit]")
    page.wait_for_url(CASE_URL)
    number = CASE_URL.search(page.url).group(1)
    case = Case.objects.get(number=number)
    assert (case.channel, case.owner, case.store) == (
        "phone",
        agent,
        agent.stores.get(),
    )
    assert number in page.locator("#case-area h1").inner_text()
    events = ["case.received"]
    _expect_step(page, "received", events)

    # The supervisor routes the new case to after-sales; the agent stays its owner.
    _log_out(page)
    login(supervisor)
    page.goto(reverse("cases:detail", args=[number]))
    page.click("#panel-assign > summary")
    _submit(page, "assign", department=str(after_sales.pk), assignee=str(handler.pk))
    events.append("case.assigned")
    _expect_step(page, "received", events)
    _log_out(page)
    login(agent)
    page.goto(reverse("cases:detail", args=[number]))

    _submit(page, "verify")
    events.append("case.transitioned")
    _expect_step(page, "verifying", events)

    _submit(page, "verification", result="confirmed", note="上门检查，压缩机故障。")
    events.append("case.verified")
    _expect_step(page, "verifying", events)

    _submit(page, "handle")
    events.append("case.transitioned")
    _expect_step(page, "handling", events)

    page.click("#panel-plan_propose > summary")
    _submit(
        page,
        "plan_propose",
        resolution_type="compensation_cash",
        compensation_amount="800",
        description="免费更换压缩机，并赔偿食物损失 800 元。",
    )
    events.append("plan.proposed")
    _expect_step(page, "handling", events)

    # 800 is above the threshold: the step is shown disabled with the reason, and
    # the server refuses it when posted anyway.
    expect(page.locator("#panel-resolve button[type=submit]")).to_be_disabled()
    expect(page.locator("#panel-resolve .notice")).to_be_visible()
    refused = page.request.post(
        page.locator("#panel-resolve form").get_attribute("action"),
        form={
            "csrfmiddlewaretoken": page.locator(
                "#panel-resolve [name=csrfmiddlewaretoken]"
            ).input_value()
        },
        headers={"HX-Request": "true", "HX-Target": "panel-resolve"},
    )
    assert refused.status == 409
    assert 'role="alert"' in refused.text()
    page.reload()
    _expect_step(page, "handling", events)

    _log_out(page)
    login(supervisor)
    page.goto(reverse("cases:detail", args=[number]))
    page.click("#panel-plan_decide button[name=decision][value=approve]")
    events.append("plan.approved")
    _expect_step(page, "handling", events)

    _log_out(page)
    login(agent)
    page.goto(reverse("cases:detail", args=[number]))
    expect(page.locator("#panel-resolve button[type=submit]")).to_be_enabled()
    _submit(page, "resolve", resolution_note="已更换压缩机，赔偿已支付。")
    events.append("case.transitioned")
    _expect_step(page, "feedback", events)

    _submit(page, "feedback", result="satisfied", note="客户表示满意。")
    events.append("feedback.recorded")
    _expect_step(page, "feedback", events)

    _submit(page, "archive")
    events.append("case.transitioned")
    _expect_step(page, "archived", events)

    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == ("archived", 800)
    assert case.events.count() == len(events)
    assert browser_errors == []


def test_known_phone_shows_the_customer_and_earlier_cases(
    page, login, browser_errors, agent, store
):
    """R-IN-2: typing a known phone shows the customer, masked, and their cases."""
    earlier = make_case(by=agent, store=store, customer_phone="13900001111")

    login(agent)
    page.goto(reverse("cases:new"))
    page.fill("input[name=customer_phone]", "13900001111")

    hit = page.locator("#customer-lookup .lookup-hit")
    expect(hit).to_be_visible()
    expect(
        hit.locator(f"a[href='{reverse('cases:detail', args=[earlier.number])}']")
    ).to_have_count(1)
    assert "13900001111" not in hit.inner_text()
    assert browser_errors == []
