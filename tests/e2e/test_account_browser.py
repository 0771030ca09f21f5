"""A supporter in headless Chromium against a real server, the emulator and a real SMTP
server: gives monthly, signs in from the emailed link, changes the amount, pauses, resumes,
updates the card and cancels, each step seen in `donations report members` and its MRR; a
one-off giver makes it monthly from the thanks page. Each account page is saved at 375 px
wide in docs/screenshots/account-*.png (docs/account.md)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from donations.app import create_app
from donations.models import utcnow
from donations.settings import Settings
from tests.support.browser import screenshot_on_failure
from tests.support.cli import donations
from tests.support.environment import SCREENSHOTS
from tests.support.servers import free_port, serve_in_thread
from tests.support.smtp import Mailbox, smtp_server

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
LINK = re.compile(r"http://127\.0\.0\.1:\d+/account/sign-in\?token=\S+")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def site(database_url: str, mailbox: Mailbox) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        SMTP_URL=mailbox.url,
        NEWSROOM_NAME="The Harbour Gazette",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


class Reader:
    """One reader's phone-sized browser page, and what the test checks beside it."""

    def __init__(self, page: Page, site: str, database_url: str) -> None:
        self.page = page
        self.site = site
        self.database_url = database_url

    async def control(self, path: str, body: dict[str, Any]) -> Any:
        async with httpx.AsyncClient(timeout=60) as http:
            answer = await http.post(f"{self.site}/stripe-emulator/_emulator{path}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def flush(self) -> None:
        assert (await self.control("/deliveries/flush", {"timeout": 30}))["flushed"] is True

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"account-{name}.png"), full_page=True)

    async def members(self) -> dict[str, Any]:
        """`donations report members` as staff run it, from today for a year and more."""
        today = utcnow().date()
        done = await asyncio.to_thread(
            donations,
            "report", "members", "--format", "json",
            "--from", today.isoformat(), "--to", (today + timedelta(days=400)).isoformat(),
            database_url=self.database_url,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        return {name: report[name] for name in ("active", "paused", "cancelled", "mrr")}

    async def account(self) -> None:
        """Back to the account page once Stripe's events are booked."""
        await self.flush()
        await self.page.goto(f"{self.site}/account")
        await expect(self.page.locator("#pending")).to_have_count(0)

    async def next_second(self) -> None:
        # Stripe's `created` counts seconds (docs/account.md, "One second").
        await self.page.wait_for_timeout(1000)


async def _give(reader: Reader, *, frequency: str, amount: str, email: str) -> None:
    page = reader.page
    await page.goto(f"{reader.site}/contribute?frequency={frequency}")
    await page.get_by_label("Other amount").fill(amount)
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Continue to payment").click()
    await expect(page).to_have_url(re.compile(r"/stripe-emulator/c/pay/cs_test_"))
    await page.locator("#card-4242424242424242").check()
    await page.locator("#pay").click()
    await expect(page).to_have_url(re.compile(r"/contribute/thanks\?session_id=cs_test_"))
    await reader.flush()


async def _sign_in_email(mailbox: Mailbox) -> EmailMessage:
    """The one sign-in email, among the receipts and welcomes the outbox also sends."""
    for _ in range(150):
        found = [m for m in mailbox.messages if m["X-Newsroom-Mail-Kind"] == "sign_in"]
        if found:
            assert len(found) == 1
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no sign-in email arrived")


@pytest.mark.asyncio
async def test_a_member_manages_their_membership_from_the_emailed_link(
    site: str, database_url: str, mailbox: Mailbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport=PHONE)
    reader = Reader(page, site, database_url)
    async with screenshot_on_failure(page, "account-member"):
        await _give(reader, frequency="monthly", amount="10", email="mara@example.org")
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1000}
        }  # fmt: skip

        # Signing in: the email form, the same answer for anyone, the link by email.
        await page.goto(f"{site}/account")
        await reader.shot("sign-in")
        await page.get_by_label("Email address").fill("mara@example.org")
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await expect(page.locator("#link-sent")).to_contain_text("a sign-in link is on its way")
        await reader.shot("link-sent")
        message = await _sign_in_email(mailbox)
        assert message["To"] == "mara@example.org"
        assert message["Subject"] == "Your sign-in link for The Harbour Gazette"
        link = LINK.search(message.get_body(preferencelist=("plain",)).get_content())
        assert link is not None
        await page.goto(link.group(0))
        await reader.shot("sign-in-button")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(f"{site}/account")
        await expect(page.locator(".membership h3")).to_have_text("€10.00 every month")
        await expect(page.locator(".gift")).to_have_count(1)
        await reader.shot("overview")

        # A new amount, from the next renewal.
        await reader.next_second()
        await page.get_by_text("Change the amount or how often").click()
        await page.get_by_label("Amount (EUR)").fill("15")
        await reader.shot("change-amount")
        # Stripe's event held back a moment: the page says the change is pending meanwhile.
        await reader.control("/deliveries/options", {"delivery_delay": 3})
        await page.get_by_role("button", name="Save the new amount").click()
        await expect(page.locator("#done")).to_have_text(
            "Your new amount is on its way to our payment provider."
        )
        await expect(page.locator("#pending")).to_contain_text("Pending: €15.00 every month")
        await expect(page.locator(".membership h3")).to_have_text("€10.00 every month")
        await reader.shot("pending")
        await reader.control("/deliveries/options", {"delivery_delay": 0})
        await reader.account()
        await expect(page.locator(".membership h3")).to_have_text("€15.00 every month")
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}
        }  # fmt: skip

        # Paused for two months: nothing collected, out of MRR.
        await reader.next_second()
        await page.get_by_text("Pause for a while").click()
        await page.get_by_label("Pause for").select_option("2")
        await page.get_by_role("button", name="Pause", exact=True).click()
        await reader.account()
        await expect(page.locator(".membership-status")).to_contain_text("paused until")
        await reader.shot("paused")
        assert await reader.members() == {
            "active": 0, "paused": 1, "cancelled": 0, "mrr": {"eur": 0}
        }  # fmt: skip

        await reader.next_second()
        await page.get_by_role("button", name="Resume my membership").click()
        await reader.account()
        await expect(page.locator(".membership-status")).to_have_text("active")
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}
        }  # fmt: skip

        # A new card: Checkout in setup mode, then back to the account.
        await reader.next_second()
        await page.get_by_role("button", name="Update my card").click()
        await expect(page.locator("#purpose")).to_contain_text("nothing is charged now")
        await page.locator("#card-5555555555554444").check()
        await page.locator("#pay").click()
        await expect(page).to_have_url(f"{site}/account?done=card")
        await expect(page.locator("#done")).to_have_text("Your new card is saved.")
        await reader.account()
        await reader.shot("card-updated")
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}
        }  # fmt: skip

        # Cancelled with a reason: a member until the paid period ends, then cancelled.
        await reader.next_second()
        await page.get_by_text("Cancel", exact=True).click()
        await page.get_by_label("Why are you leaving?").select_option("too_expensive")
        await page.get_by_label("Anything else you would like to tell us?").fill("Back in spring")
        await reader.shot("cancel")
        await page.get_by_role("button", name="Cancel my membership").click()
        await reader.account()
        await expect(page.locator(".membership-status")).to_contain_text("ends ")
        await reader.shot("cancelled")
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}
        }  # fmt: skip
        clock = await reader.control("/clock/advance", {"seconds": 32 * 86400})
        assert "customer.subscription.deleted" in [event["type"] for event in clock["events"]]
        await reader.account()
        await expect(page.locator(".membership-status")).to_have_text("ended")
        assert await reader.members() == {
            "active": 0, "paused": 0, "cancelled": 1, "mrr": {"eur": 0}
        }  # fmt: skip

        # A receipt, then signing out.
        await page.locator(".gift a").first.click()
        await expect(page.locator("#receipt-amount")).to_have_text("€10.00")
        await reader.shot("receipt")
        await page.goto(f"{site}/account")
        await page.locator("#statements a").first.click()
        # The first €10.00: the new €15.00 would have been charged from the renewal it
        # cancelled before.
        await expect(page.locator("#statement tbody tr")).to_have_count(1)
        await expect(page.locator("#total-eur")).to_have_text("€10.00")
        await reader.shot("statement")
        await page.goto(f"{site}/account")
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("button", name="Email me a sign-in link")).to_be_visible()


@pytest.mark.asyncio
async def test_a_one_off_giver_makes_it_monthly_from_the_thanks_page(
    site: str, database_url: str, browser: Browser
) -> None:
    page = await browser.new_page(viewport=PHONE)
    reader = Reader(page, site, database_url)
    async with screenshot_on_failure(page, "account-monthly-offer"):
        await _give(reader, frequency="one_off", amount="25", email="ines@example.org")
        await expect(page.locator("#given")).to_have_text("You are giving €25.00 once.")
        await expect(page.locator("#make-monthly")).to_have_text("Give €25.00 every month")
        await reader.shot("thanks-offer")
        assert (await reader.members())["active"] == 0
        await page.locator("#make-monthly").click()
        await expect(page.locator("#monthly-summary")).to_have_text("€25.00 every month")
        await reader.shot("monthly-offer")
        await page.get_by_role("button", name="Continue to payment").click()
        await expect(page.locator("#amount")).to_have_text("€25.00")
        # Prefilled with the one-off gift's email: both gifts are one supporter's.
        await expect(page.locator("#email")).to_have_value("ines@example.org")
        await page.locator("#card-4242424242424242").check()
        await page.locator("#pay").click()
        await expect(page.locator("#given")).to_have_text("You are giving €25.00 every month.")
        await expect(page.locator("#make-monthly")).to_have_count(0)
        await reader.flush()
        assert await reader.members() == {
            "active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 2500}
        }  # fmt: skip
