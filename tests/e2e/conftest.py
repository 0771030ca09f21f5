from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from playwright.async_api import Browser

from tests.support.browser import launched


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium for one test (tests/support/browser.py)."""
    async with launched() as chromium:
        yield chromium
