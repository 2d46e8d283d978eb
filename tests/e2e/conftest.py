"""Browser fixtures: Playwright driving the system Chromium (never a downloaded one).

Where no Chromium is installed the browser tests skip with a reason; CI sets
LMS_E2E_REQUIRED=1 (and installs Chromium), which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), *CHROMIUM_CANDIDATES):
        if candidate and os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        message = "no system Chromium: `apt-get install chromium` to run browser tests"
        if os.environ.get("LMS_E2E_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    # The live server runs in a thread of this process; Playwright's sync API runs
    # an event loop, which makes Django think ORM calls in tests are async-unsafe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser):
    """A fresh browser context the size of a common phone (390×844)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="id-ID"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_world(transactional_db):
    """The demo world in a browser test's database.

    Browser tests run in transactions that end with a flush, which also empties
    what data migrations wrote; the seed (provinces, centres) is applied again
    from its migration before the demo loads.
    """
    import importlib

    from django.apps import apps

    from cms.demo import load_demo

    seed = importlib.import_module(
        "lms.migrations.0003_seed_provinces_and_organisations"
    )
    seed.seed(apps, None)
    # The accounts only: each browser test builds the rest it needs (the full
    # world of `load_demo` takes minutes and writes media files).
    load_demo(accounts_only=True)


def sign_in(page, live_server, email: str) -> None:
    """Sign a trainee in through the allauth form, as a person would."""
    from cms.demo import DEMO_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/saya/")


def new_page(browser, *, phone: bool = False):
    """A fresh context (its own session) and page; phone-sized when asked."""
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=size)
    page = context.new_page()
    # Generous: the live server shares a busy CI machine; waits end on success.
    page.set_default_timeout(SLOW_TIMEOUT)
    return context, page


SLOW_TIMEOUT = 90_000


@pytest.fixture
def demo_accounts(demo_world):
    """The demo accounts, centres and workflows (the same as `demo_world`)."""
