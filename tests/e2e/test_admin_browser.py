"""Finance staff in headless Chromium: log in to /admin, read every page on a phone (375 px)
and a wide screen (1440 px), and keep the screenshots in docs/screenshots/.

The ledger is the newsroom's year (tests/reports/scenario.py), a reader a week through the
campaign (so the pace and month charts look like an appeal), and a month of payouts
(tests/payouts/factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from playwright.async_api import expect
from sqlmodel import select

import stripe_events as se
from donations import money
from donations.app import create_app
from donations.db import Database
from donations.models import Supporter
from donations.reports.snapshots import take_snapshots
from donations.settings import Settings
from donations.staff import add_staff
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.payouts.factories import a_month_of_payouts
from tests.reports.ledger_fixtures import dublin_app, dublin_client, dublin_settings, year
from tests.reports.scenario import at
from tests.support.browser import launched
from tests.support.environment import SCREENSHOTS
from tests.support.servers import free_port, serve_in_thread
from tests.support.webhook_delivery import deliver_all

pytestmark = pytest.mark.e2e
__all__ = ["dublin_app", "dublin_client", "dublin_settings", "year"]  # fixtures used here

NAME, PASSWORD = "ana", "correct horse battery"
WIDTHS = (375, 1440)
YEAR = "from=2026-01-01&to=2026-12-31"

# A reader a week, Fridays from 2026-04-03 to 2026-10-23: amounts and sources in turn.
WEEKS = 30
AMOUNTS = (500, 1000, 2500, 5000, 1500, 2000)
SOURCES = ("newsletter", "article-footer", "social", None)
# The year's figures (tests/reports): net €162.00; the funnel's 14 sessions, 12 completed.
YEAR_NET, YEAR_SESSIONS, YEAR_COMPLETED = 16200, 14, 12
# The month of payouts: five readers who checked out and paid.
PAYOUT_MONTH_SESSIONS = 5


def weekly_readers() -> list[se.happenings.Gift]:
    return [
        se.one_off_gift(
            AMOUNTS[week % len(AMOUNTS)],
            "eur",
            at("2026-04-03T12:00:00") + week * 7 * se.DAY,
            f"reader{week:02}@example.org",
            source=SOURCES[week % len(SOURCES)],
        )
        for week in range(WEEKS)
    ]


def euros(amount: int) -> str:
    return money.format_amount(amount, "eur")


@pytest.fixture
def admin_site(year: Database, dublin_settings: Settings) -> Iterator[str]:
    # The site's own address: the supporter form is accepted only from SITE_URL's pages.
    port = free_port()
    served = dublin_settings.model_copy(update={"SITE_URL": f"http://127.0.0.1:{port}"})
    with serve_in_thread(create_app(served), port=port) as url:
        yield url


@pytest.mark.asyncio
async def test_staff_read_every_admin_page_on_a_phone_and_a_wide_screen(
    year: Database, dublin_client: httpx.AsyncClient, admin_site: str
) -> None:
    readers = weekly_readers()
    events = [event for gift in readers for event in gift.events]
    delivered = await deliver_all(dublin_client, events, TEST_WEBHOOK_SECRET)
    assert [r.status_code for r in delivered if r.status_code != 200] == []
    month = await a_month_of_payouts(year)
    async with year.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        # Two snapshots, so the history chart has a line to draw.
        for taken in (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC)):
            await take_snapshots(session=session, timezone="Europe/Dublin", now=taken)
        ana = (
            await session.exec(select(Supporter.id).where(Supporter.email == "ana@example.org"))
        ).one()
    net = euros(YEAR_NET + sum(gift.amount for gift in readers))
    social = [gift.amount for gift in readers if gift.source == "social"]
    sessions = YEAR_SESSIONS + WEEKS + PAYOUT_MONTH_SESSIONS
    completed = YEAR_COMPLETED + WEEKS + PAYOUT_MONTH_SESSIONS
    # What each page must show: (path, selector, text).
    pages = {
        "overview": ("/admin", "#net", net),
        "months": ("/admin/months?from=2026-03-01&to=2026-11-30", "table", "-€10.00"),
        "members": ("/admin/members?from=2026-05-01&to=2026-06-30", "#cancelled", "1"),
        "sources": (
            f"/admin/sources?{YEAR}",
            "tbody tr:has-text('social')",
            # textContent: the cells' texts with nothing between them.
            f"{len(social)}{euros(sum(social))}",
        ),
        "funnel": (
            f"/admin/funnel?{YEAR}",
            "tbody tr:has-text('All')",
            f"{completed / sessions:.1%}",
        ),
        "payments": (f"/admin/payments?{YEAR}", "tbody tr >> nth=0", "k***@example.org"),
        "supporters": (
            f"/admin/supporters/{ana}",
            "#given tbody tr",
            # A, B (€10.00 refunded) and H of the year, and March's gift (€5.00 refunded).
            "EUR4€112.00€15.00€0.00€97.00",
        ),
        "payouts": ("/admin/payouts?from=2026-03-01&to=2026-03-31", "table", month.eur.id),
        "snapshots": ("/admin/snapshots", "tbody tr >> nth=0", net),
        "mail": ("/admin/mail", "h1", "Mail to readers"),
        # Ana's 2026 (FISCAL_YEAR_START 01-01): her four gifts, €15.00 of them refunded.
        "statement": (
            f"/admin/supporters/{ana}/statement/2026",
            "tfoot tr",
            "Total in EUR€112.00€15.00€97.00",
        ),
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    refused: list[str] = []  # what the Content-Security-Policy blocked
    failed: list[str] = []  # any other resource that did not load
    async with launched() as browser:
        for width in WIDTHS:
            context = await browser.new_context(
                http_credentials={"username": NAME, "password": PASSWORD},
                viewport={"width": width, "height": 900},
            )
            page = await context.new_page()
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.on(
                "response",
                lambda response: (
                    failed.append(response.url)
                    if response.status >= 400 and not response.url.endswith("/favicon.ico")
                    else None
                ),
            )
            for name, (path, selector, figure) in pages.items():
                response = await page.goto(admin_site + path)
                assert response is not None and response.status == 200, name
                await expect(page.locator(selector).first).to_contain_text(figure)
                # The page's link in the header is the current one.
                current = page.locator("nav a[aria-current=page]")
                await expect(current).to_have_count(1)
                scroll_width = await page.evaluate("document.documentElement.scrollWidth")
                if width == 375:
                    # Wide tables and charts scroll in their own box, never the page.
                    assert scroll_width <= 375, (name, scroll_width)
                # The header's first line starts where the page's heading does.
                brand = await page.locator(".brand").bounding_box()
                heading = await page.locator("main").bounding_box()
                assert brand is not None and heading is not None
                main_padding = await page.evaluate(
                    "parseFloat(getComputedStyle(document.querySelector('main')).paddingLeft)"
                )
                assert abs(brand["x"] - (heading["x"] + main_padding)) < 1, name
                await page.screenshot(
                    path=str(SCREENSHOTS / f"admin-{name}-{width}.png"), full_page=True
                )
            # Found by email through the form: the email is posted, never in the address.
            await page.goto(admin_site + "/admin/supporters")
            await page.get_by_label("Supporter's email").fill("Ana@Example.org")
            await page.get_by_role("button", name="Find").click()
            await expect(page.locator("h1")).to_have_text("ana@example.org")
            await expect(page.locator("#given tbody tr").first).to_contain_text(
                "EUR4€112.00€15.00€0.00€97.00"
            )
            assert page.url == admin_site + "/admin/supporters"
            # Charts are inline SVG with a title; the strict policy blocked nothing.
            await page.goto(admin_site + "/admin")
            await expect(page.locator("svg#pace title").first).to_contain_text("Cumulative net")
            assert (refused, failed) == ([], []), width
            await context.close()
