from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from donations.db import Database
from donations.settings import Settings, get_settings
from tests.support import databases
from tests.support.apps import asgi_client, running_app

TEST_WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(scope="session")
def template_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return databases.migrate_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def database_url(template_database_url: str, tmp_path: Path) -> str:
    """A clean, migrated database for this test (SQLite file, or emptied PostgreSQL)."""
    return databases.fresh_database(template_database_url, tmp_path)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # A developer's .env or shell must not leak into tests.
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        STRIPE_WEBHOOK_SECRET=TEST_WEBHOOK_SECRET,
        CURRENCIES=["eur", "gbp", "usd", "jpy"],
        DEFAULT_CURRENCY="eur",
    )


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest_asyncio.fixture
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    async with running_app(settings) as application:
        yield application


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as http:
        yield http
