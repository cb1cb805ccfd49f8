"""The browser harness itself: chromium starts, and a persona can log in."""

from __future__ import annotations


def test_agent_logs_in_through_the_login_form(login, agent):
    page = login(agent)

    assert "/cases/" in page.url


def test_wrong_password_keeps_the_user_on_the_login_page(page, agent):
    page.goto("/login/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")

    assert "/login/" in page.url
    assert page.locator("[role=alert]").is_visible()
