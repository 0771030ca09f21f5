"""Fixtures for report tests: an app on Dublin time, and the newsroom's year in its ledger.

Imported by name into the test modules that use them (tests/reports/conftest.py, e2e).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from donations.campaigns import add_campaign, validate_campaign
from donations.db import Database
from donations.settings import Settings
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.reports.scenario import newsroom_year
from tests.support.apps import asgi_client, running_app
from tests.support.webhook_delivery import deliver_all

TIMEZONE = "Europe/Dublin"


@pytest.fixture
def dublin_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"REPORT_TIMEZONE": TIMEZONE})


@pytest_asyncio.fixture
async def dublin_app(dublin_settings: Settings) -> AsyncIterator[Starlette]:
    async with running_app(dublin_settings) as application:
        yield application


@pytest_asyncio.fixture
async def dublin_client(dublin_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(dublin_app) as http:
        yield http


async def add_the_campaign(db: Database) -> None:
    """The campaign of the `year` fixture (a reports replica holds the same campaigns)."""
    async with db.session() as session:
        await add_campaign(
            session=session,
            campaign=validate_campaign(
                slug="2026",
                name="Reader support 2026",
                target="1000.00",
                currency="eur",
                starts="2026-03-30",
                ends="2026-10-25",
            ),
        )


@pytest_asyncio.fixture
async def year(dublin_client: httpx.AsyncClient, db: Database) -> Database:
    """The campaign, and the newsroom's year delivered as signed webhooks: the ledger."""
    await add_the_campaign(db)
    responses = await deliver_all(dublin_client, newsroom_year(), TEST_WEBHOOK_SECRET)
    refused = [(r.status_code, r.text) for r in responses if r.status_code != 200]
    assert refused == []
    return db
