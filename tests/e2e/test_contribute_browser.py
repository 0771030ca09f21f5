"""A reader in headless Chromium: /contribute, pay on the emulator's page, thanks, progress."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from donations.app import create_app
from donations.campaigns import NewCampaign, add_campaign
from donations.db import Database
from donations.models import utcnow
from donations.settings import Settings
from tests.support.environment import require_browser
from tests.support.servers import free_port, serve_in_thread

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
# The contribute page's progress is cached for 5 s per process (donations/reports/live.py).
PROGRESS_WAIT_MS = 15_000


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(DATABASE_URL=database_url, SITE_URL=f"http://127.0.0.1:{port}")
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest_asyncio.fixture
async def campaign(db: Database) -> None:
    year = utcnow().year
    async with db.session() as session:
        await add_campaign(
            session=session,
            campaign=NewCampaign(
                slug=str(year),
                name=f"Reader support {year}",
                currency="eur",
                target=5_000_000,
                starts_on=date(year, 1, 1),
                ends_on=date(year, 12, 31),
            ),
        )


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = require_browser()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@asynccontextmanager
async def screenshot_on_failure(page: Page, name: str) -> AsyncIterator[None]:
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise


@pytest.mark.asyncio
async def test_reader_gives_five_euros_a_month_and_sees_progress_grow(
    site: str, campaign: None, browser: Browser
) -> None:
    page = await browser.new_page()
    async with screenshot_on_failure(page, "contribute-monthly"):
        await page.goto(f"{site}/contribute")
        await expect(page.locator("#progress-net")).to_have_text("€0.00")

        await page.get_by_label("Monthly").check()
        await page.get_by_label("€5.00").check()
        await page.get_by_label("Email").fill("reader@example.com")
        await page.get_by_role("button", name="Continue to payment").click()

        # Stripe's hosted page, played by the emulator.
        await expect(page).to_have_url(re.compile(r"/stripe-emulator/c/pay/cs_test_"))
        await expect(page.locator("#amount")).to_have_text("€5.00")
        await page.locator("#card-4242424242424242").check()
        await page.locator("#pay").click()

        await expect(page).to_have_url(re.compile(r"/contribute/thanks\?session_id=cs_test_"))
        await expect(page.locator("#given")).to_have_text("You are giving €5.00 every month.")

        async with httpx.AsyncClient() as http:
            flushed = await http.post(f"{site}/stripe-emulator/_emulator/deliveries/flush")
        assert flushed.json()["flushed"] is True

        # The webhook booked the first invoice; the page shows it once its cache expires.
        net = page.locator("#progress-net")
        for _ in range(PROGRESS_WAIT_MS // 1000):
            await page.goto(f"{site}/contribute")
            if await net.text_content() == "€5.00":
                break
            await page.wait_for_timeout(1000)
        await expect(net).to_have_text("€5.00")
        await expect(page.locator("#progress-text")).to_contain_text("raised of €50,000.00")


@pytest.mark.asyncio
async def test_reader_who_cancels_is_told_nothing_was_taken(site: str, browser: Browser) -> None:
    page = await browser.new_page()
    async with screenshot_on_failure(page, "contribute-cancel"):
        await page.goto(f"{site}/contribute")
        await page.get_by_label("Other amount").fill("12,50")
        await page.get_by_role("button", name="Continue to payment").click()
        await expect(page.locator("#amount")).to_have_text("€12.50")
        await page.locator("#cancel").click()
        await expect(page).to_have_url(f"{site}/contribute?cancelled=1")
        await expect(page.locator("#cancelled")).to_contain_text("No payment was taken.")


@pytest.mark.asyncio
async def test_reader_sees_the_error_beside_the_field_with_the_input_kept(
    site: str, browser: Browser
) -> None:
    page = await browser.new_page()
    async with screenshot_on_failure(page, "contribute-error"):
        await page.goto(f"{site}/contribute")
        await page.get_by_label("Other amount").fill("0,20")
        await page.get_by_role("button", name="Continue to payment").click()
        field = page.get_by_label("Other amount")
        await expect(field).to_have_value("0,20")
        await expect(field).to_have_attribute("aria-describedby", "custom_amount-error")
        await expect(page.locator("#custom_amount-error")).to_have_text(
            "The smallest amount we can take is €0.50."
        )
