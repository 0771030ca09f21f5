from __future__ import annotations

import httpx
import pytest

from donations import migrations


@pytest.mark.asyncio
async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_readyz_reports_the_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "migration": migrations.head_revision()}


@pytest.mark.asyncio
async def test_readyz_is_503_when_the_schema_is_behind(
    client: httpx.AsyncClient, database_url: str
) -> None:
    migrations.downgrade(database_url, "base")
    try:
        response = await client.get("/readyz")
    finally:
        migrations.upgrade(database_url)
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": f"database at migration none, expected {migrations.head_revision()}; "
        "run `donations db upgrade`",
    }
