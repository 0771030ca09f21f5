"""A reader in headless Chromium: /contribute, pay on the emulator's page, thanks, progress."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from donations.app import create_app
from donations.campaigns import NewCampaign, add_campaign
from donations.db import Database
from donations.models import utcnow
from donations.offers import save_offer, validate_offer
from donations.settings import Settings
from tests.support.browser import screenshot_on_failure
from tests.support.cli import in_process
from tests.support.environment import SCREENSHOTS
from tests.support.servers import free_port, serve_in_thread

pytestmark = pytest.mark.e2e

# The contribute page's progress is cached for 5 s per process (donations/reports/live.py).
PROGRESS_WAIT_MS = 15_000


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(DATABASE_URL=database_url, SITE_URL=f"http://127.0.0.1:{port}")
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.fixture
def branded_site(database_url: str) -> Iterator[str]:
    """A newsroom with its own name and colour (the screenshots show them)."""
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        NEWSROOM_NAME="The Harbour Ledger",
        NEWSROOM_URL="https://news.example/",
        BRAND_COLOR="#8a1538",
    )
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


@pytest.mark.asyncio
async def test_reader_gives_five_euros_a_month_and_sees_progress_grow(
    site: str, campaign: None, browser: Browser
) -> None:
    page = await browser.new_page()
    async with screenshot_on_failure(page, "contribute-monthly"):
        await page.goto(f"{site}/contribute")
        await expect(page.locator("#progress-net")).to_have_text("€0.00")

        await page.locator("label[for='frequency-monthly']").click()
        await page.locator("label[for='amount-monthly-5']").click()
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
        await page.locator("label[for='frequency-one_off']").click()
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


WIDTHS = (375, 1440)
READER_CAME_FROM = "https://news.example/2026/harbour-story"
ATTRIBUTION = {
    "source": "article-footer",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "december-appeal",
    "utm_content": "button",
    "utm_term": "harbour",
}


async def screenshots(page: Page, name: str, *, full_page: bool = True, height: int = 900) -> None:
    """The page as it is now, at a phone's width and a wide screen's, into docs/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=full_page)


@pytest_asyncio.fixture
async def footer_offer(db: Database) -> None:
    """A small appeal (€40, so that one gift shows on the bar) that leads with one-off gifts
    under articles, from €3."""
    year = utcnow().year
    async with db.session() as session:
        found = await add_campaign(
            session=session,
            campaign=NewCampaign(
                slug="harbour",
                name="Save the harbour desk",
                currency="eur",
                target=4000,
                starts_on=date(year, 1, 1),
                ends_on=date(year, 12, 31),
            ),
        )
        offer = validate_offer(
            campaign=found,
            placement="article-footer",
            amounts="one_off:5,*15,30;monthly:3,*7,12",
            default_frequency="one_off",
            minimum="3",
        )
        await save_offer(session, campaign=found, offer=offer)


async def _flush(site: str) -> None:
    async with httpx.AsyncClient() as http:
        flushed = await http.post(f"{site}/stripe-emulator/_emulator/deliveries/flush")
    assert flushed.json()["flushed"] is True


@pytest.mark.asyncio
async def test_reader_gives_with_every_choice_and_the_reports_show_it(
    branded_site: str, database_url: str, footer_offer: None, browser: Browser
) -> None:
    site = branded_site
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    async with screenshot_on_failure(page, "contribute-every-choice"):
        await page.goto(f"{site}/contribute?{urlencode(ATTRIBUTION)}", referer=READER_CAME_FROM)
        # The placement's offer: one-off first, €15 preselected, its own amounts.
        await expect(page.locator("#frequency-one_off")).to_be_checked()
        await expect(page.locator("#amount-one_off-15")).to_be_checked()
        await expect(page.locator("#amounts-one_off label")).to_have_text(
            ["€5.00", "€15.00", "€30.00"]
        )
        await expect(page.locator("#amounts-monthly")).to_be_hidden()
        await expect(page.locator("#fee-amount")).to_have_text("€0.49")
        await screenshots(page, "contribute")

        await page.locator("label[for='frequency-monthly']").click()
        await expect(page.locator("#amounts-one_off")).to_be_hidden()
        await expect(page.locator("#amount-monthly-7")).to_be_checked()
        await page.locator("label[for='amount-monthly-12']").click()
        # (€12.00 + €0.25) / (1 - 1.5%) = €12.4365…, rounded up: €0.44 covers the fee.
        await expect(page.locator("#fee-amount")).to_have_text("€0.44")
        await page.get_by_label("Add").check()
        await expect(page.locator("#summary")).to_have_text("You give €12.44 every month.")
        await page.get_by_label("Give anonymously").check()
        await page.get_by_label("Send me the newsletter").check()
        await page.locator("label[for='tribute-memory']").click()
        await page.get_by_label("Their name").fill("Grace Hopper")
        await page.get_by_label("Why are you giving?").fill("Local news\nmatters to us")
        await page.get_by_label("Email").fill("giver@example.com")
        await page.get_by_role("button", name="Continue to payment").click()

        await expect(page).to_have_url(re.compile(r"/stripe-emulator/c/pay/cs_test_"))
        await expect(page.locator("#amount")).to_have_text("€12.44")
        await page.locator("#card-4242424242424242").check()
        await page.locator("#pay").click()
        await expect(page).to_have_url(re.compile(r"/contribute/thanks\?session_id=cs_test_"))
        await _flush(site)
        await page.reload()
        await expect(page.locator("#given")).to_have_text("You are giving €12.44 every month.")
        await expect(page.locator("#fee-covered")).to_contain_text("€0.44 of it covers")
        await expect(page.locator("#payment-state")).to_contain_text("A receipt is on its way")
        await screenshots(page, "thanks")

        # The figure is cached for a few seconds (donations/reports/live.py).
        fill = page.locator("#w-fill")
        for _ in range(PROGRESS_WAIT_MS // 1000):
            await page.goto(f"{site}/widget/progress?campaign=harbour&source=homepage")
            if await fill.get_attribute("width") != "0.0%":
                break
            await page.wait_for_timeout(1000)
        # €12.44 of €40.00.
        await expect(fill).to_have_attribute("width", "31.1%")
        await expect(page.locator("a.give")).to_have_attribute(
            "href", f"{site}/contribute?source=homepage&campaign=harbour"
        )
        await screenshots(page, "widget", full_page=False, height=150)

    env = {"DATABASE_URL": database_url}
    span = ("--from", f"{utcnow().year}-01-01", "--to", f"{utcnow().year}-12-31")
    by_source = await in_process("report", "sources", *span, "--by", "utm_source",
                                 "--format", "csv", env=env)  # fmt: skip
    assert by_source.output.splitlines() == [
        "utm_source,currency,payments,gross",
        "newsletter,eur,1,12.44",
    ], by_source.output
    by_referrer = await in_process("report", "sources", *span, "--by", "referrer",
                                   "--format", "csv", env=env)  # fmt: skip
    assert by_referrer.output.splitlines()[1] == f"{READER_CAME_FROM},eur,1,12.44"
    chosen = await in_process("report", "choices", *span, "--format", "csv", env=env)
    assert chosen.output.splitlines() == [
        "currency,payments,gross,fees_covered,fee_covered,anonymous,in_honour,in_memory,"
        "with_reason,newsletter",
        "eur,1,12.44,1,0.44,1,0,1,1,1",
    ], chosen.output
    gifts = await in_process("export", "gifts", *span, env=env)
    header, row = gifts.output.splitlines()
    assert dict(zip(header.split(","), row.split(","), strict=True)) | {"paid_at": "-"} == {
        "paid_at": "-",
        "kind": "recurring",
        "amount": "12.44",
        "fee_covered": "0.44",
        "currency": "eur",
        "anonymous": "yes",
        "name": "",
        "email": "",
        "tribute": "memory",
        "tribute_name": "Grace Hopper",
        "reason": "Local news matters to us",
        "newsletter": "yes",
        "source": "article-footer",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "december-appeal",
        "utm_content": "button",
        "utm_term": "harbour",
        "referrer": READER_CAME_FROM,
    }
    newsletter = await in_process("export", "newsletter", env=env)
    assert newsletter.output.splitlines()[0] == "email,name,first_opt_in,latest_gift,gifts"
    assert newsletter.output.splitlines()[1].startswith("giver@example.com,")


@pytest.mark.asyncio
async def test_a_bank_debit_shows_processing_until_it_clears(
    branded_site: str, campaign: None, browser: Browser
) -> None:
    site = branded_site
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    async with screenshot_on_failure(page, "contribute-processing"):
        await page.goto(f"{site}/contribute?frequency=one_off")
        await page.locator("label[for='amount-one_off-25']").click()
        await page.get_by_role("button", name="Continue to payment").click()
        await page.locator("#email").fill("debit@example.com")
        await page.locator("#card-DE89370400440532013000").check()
        await page.locator("#pay").click()
        await expect(page).to_have_url(re.compile(r"/contribute/thanks\?session_id=cs_test_"))
        await _flush(site)
        await page.reload()
        await expect(page.locator("#payment-state")).to_contain_text("Your payment is processing.")
        await screenshots(page, "thanks-processing")

        async with httpx.AsyncClient() as http:
            settled = await http.post(f"{site}/stripe-emulator/_emulator/payments/settle")
            assert settled.status_code == 200
        await _flush(site)
        await page.reload()
        await expect(page.locator("#payment-state")).to_contain_text("A receipt is on its way")
