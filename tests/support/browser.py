"""The real browser the e2e tests drive: Chromium through Playwright, launched the same way by
every test, and a page's screenshot kept when a test fails on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

from tests.support.environment import require_browser

# Where a failing test leaves the page it failed on (ignored by git).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# No sandbox (tests run as root in containers), nothing that reaches out of the machine.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


@asynccontextmanager
async def launched() -> AsyncIterator[Browser]:
    """Chromium, or the test skipped (or failed, under REQUIRE_BROWSER=1) without one."""
    executable = require_browser()
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@asynccontextmanager
async def screenshot_on_failure(page: Page, name: str) -> AsyncIterator[None]:
    try:
        yield
    except BaseException:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise
