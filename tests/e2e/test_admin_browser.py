"""Finance staff in headless Chromium: log in to /admin, read every page, keep screenshots."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from donations.app import create_app
from donations.db import Database
from donations.reports.snapshots import take_snapshots
from donations.settings import Settings
from donations.staff import add_staff
from tests.reports.ledger_fixtures import dublin_app, dublin_client, dublin_settings, year
from tests.support.environment import require_browser
from tests.support.servers import serve_in_thread

pytestmark = pytest.mark.e2e
__all__ = ["dublin_app", "dublin_client", "dublin_settings", "year"]  # fixtures used here

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
NAME, PASSWORD = "ana", "correct horse battery"

# What each page must show, worked out in tests/reports (the newsroom's year, Dublin time).
PAGES = {
    "overview": ("/admin", "#net", "€162.00"),
    "months": ("/admin/months?from=2026-03-01&to=2026-11-30", "table", "-€10.00"),
    "members": ("/admin/members?from=2026-05-01&to=2026-06-30", "#cancelled", "1"),
    "sources": ("/admin/sources?from=2026-01-01&to=2026-12-31", "tbody tr >> nth=0", "€132.00"),
    "funnel": ("/admin/funnel?from=2026-01-01&to=2026-12-31", "tbody tr >> nth=3", "85.7%"),
    "payments": ("/admin/payments", "tbody tr >> nth=0", "k***@example.org"),
    "snapshots": ("/admin/snapshots", "tbody tr >> nth=0", "€162.00"),
}


@pytest.fixture
def admin_site(year: Database, dublin_settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(dublin_settings)) as url:
        yield url


@pytest.mark.asyncio
async def test_staff_read_every_admin_page_in_a_browser(year: Database, admin_site: str) -> None:
    chromium = require_browser()
    async with year.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        # Two snapshots, so the history chart has a line to draw.
        for taken in (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC)):
            await take_snapshots(session=session, timezone="Europe/Dublin", now=taken)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(
                http_credentials={"username": NAME, "password": PASSWORD},
                viewport={"width": 1200, "height": 900},
            )
            page = await context.new_page()
            refused: list[str] = []  # what the Content-Security-Policy blocked
            failed: list[str] = []  # any other resource that did not load
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
            for name, (path, selector, figure) in PAGES.items():
                response = await page.goto(admin_site + path)
                assert response is not None and response.status == 200, name
                await expect(page.locator(selector).first).to_contain_text(figure)
                await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
            # Charts are inline SVG with a title; the strict policy blocked nothing.
            await page.goto(admin_site + "/admin")
            await expect(page.locator("svg#pace title").first).to_contain_text("Cumulative net")
            assert (refused, failed) == ([], [])
        finally:
            await browser.close()
