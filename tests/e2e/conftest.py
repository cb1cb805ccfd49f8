"""Browser tests: Debian's chromium driven by Playwright, against `live_server`.

Playwright never downloads a browser here; it launches /usr/bin/chromium. Without it
the tests skip, unless KESU_REQUIRE_BROWSER=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000
PASSWORD = "pass-for-tests-1"  # what tests.factories.UserFactory sets
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("KESU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"KESU_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# Package scope, not session: while Playwright lives, the ORM needs the async-unsafe
# switch below, and tests outside tests/e2e should run with Django's guard on.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless chromium for the browser tests."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    # Playwright's sync API keeps an event loop running in this thread, and Django
    # refuses ORM calls beside a running loop; the tests' own ORM use is synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the live server, in Chinese."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def login(page: Any) -> Callable[..., Any]:
    """Log a user in through the login form; returns the page, now signed in."""

    def log_in(user: Any, password: str = PASSWORD) -> Any:
        page.goto("/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    return log_in


# Reported as console errors by chromium, and raised again here in case a message
# slips through: a blocked script or style must fail the test.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def browser_errors(page: Any) -> list[str]:
    """Console errors, uncaught page errors, CSP violations and 5xx answers."""
    errors: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text} ({msg.location.get('url')})")

    page.add_init_script(REPORT_CSP)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page: {exc}"))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else 0,
    )
    return errors
