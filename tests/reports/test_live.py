from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from donations.db import Database
from donations.reports.live import EXTRAS_KEY, ProgressCache, current_progress
from donations.web.state import AppState
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.reports.scenario import at
from tests.support import stripe_events as se
from tests.support.webhook_delivery import deliver_all


def progress_queries(state: AppState) -> list[str]:
    """Every aggregate over payments the reports engine runs from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "sum(payment.amount)" in statement:
            seen.append(statement)

    event.listen(state.reports_db.engine.sync_engine, "before_cursor_execute", record)
    return seen


@pytest.mark.asyncio
async def test_a_stampede_of_readers_computes_progress_once(
    year: Database, dublin_app: Starlette
) -> None:
    state: AppState = dublin_app.state.donations
    queries = progress_queries(state)
    figures = await asyncio.gather(*(current_progress(state, "2026") for _ in range(50)))
    assert len(queries) == 1
    assert {figure["net"] for figure in figures if figure} == {16200}


@pytest.mark.asyncio
async def test_the_figure_follows_the_ledger_once_the_cache_expires(
    year: Database, dublin_app: Starlette, dublin_client: httpx.AsyncClient
) -> None:
    state: AppState = dublin_app.state.donations
    state.extras[EXTRAS_KEY] = ProgressCache(ttl=0.2)
    before = await current_progress(state, None)
    assert before is not None and before["net"] == 16200
    gift = se.one_off_gift(1000, "eur", at("2026-08-01T10:00:00"), "lu@example.org")
    await deliver_all(dublin_client, gift.events, TEST_WEBHOOK_SECRET)
    cached = await current_progress(state, None)
    assert cached is not None and cached["net"] == 16200  # within the TTL: the same figure
    await asyncio.sleep(0.25)
    fresh = await current_progress(state, None)
    assert fresh is not None and fresh["net"] == 16200 + 1000


@pytest.mark.asyncio
async def test_unknown_campaigns_are_not_remembered(year: Database, dublin_app: Starlette) -> None:
    state: AppState = dublin_app.state.donations
    assert await current_progress(state, "no-such-campaign") is None
    cache = state.extras[EXTRAS_KEY]
    assert "no-such-campaign" not in cache.entries and "no-such-campaign" not in cache.locks
