"""The hosted pages in a real browser (Playwright, system Chromium), by label and role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.stripe_emulator.support import Stack, donation_params, membership_params

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("no system Chromium")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_reader_pays_by_label_and_lands_on_success_url(
    stack: Stack, client: stripe.StripeClient, page: Any
) -> None:
    params = donation_params(
        success_url=f"{stack.base}/_emulator/cards?session={{CHECKOUT_SESSION_ID}}"
    )
    session = client.v1.checkout.sessions.create(params=params)
    page.goto(str(session.url))
    assert page.locator("#amount").inner_text() == "€15.00"
    page.get_by_label("Email").fill("browser@example.org")
    page.get_by_label("4000000000000002").check()
    page.get_by_role("button", name="Pay").click()
    assert page.get_by_role("alert").inner_text() == "Your card was declined."
    page.get_by_label("4242424242424242").check()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{stack.base}/_emulator/cards?session={session.id}")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.payment_status, paid.customer_details.email) == ("paid", "browser@example.org")  # type: ignore[union-attr]


def test_member_cancels_at_period_end_in_the_portal(
    stack: Stack, client: stripe.StripeClient, page: Any
) -> None:
    session = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(session.id)
    paid = client.v1.checkout.sessions.retrieve(session.id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": str(paid.customer), "return_url": f"{stack.base}/_emulator/clock"}
    )
    page.goto(str(portal.url))
    page.get_by_role("button", name="Cancel at period end").click()
    assert "will end at the end of the period" in page.get_by_role("status").inner_text()
    page.get_by_role("link", name="Return to the site").click()
    page.wait_for_url(f"{stack.base}/_emulator/clock")
    assert client.v1.subscriptions.retrieve(str(paid.subscription)).cancel_at_period_end is True
