from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

import stripe_events as se
from donations.db import Database
from donations.progress_cache import ProgressCache
from donations.reports.live import compute_progress, current_progress
from donations.state import AppState
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.reports.scenario import at
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


def held_progress(gate: asyncio.Event) -> Any:
    """The real computation, made to wait for `gate` first: a recompute held open."""

    async def compute(state: AppState, slug: str | None, now: datetime) -> dict[str, Any] | None:
        await gate.wait()
        return await compute_progress(state, slug, now)

    return compute


def expire(cache: ProgressCache) -> None:
    for entry in cache.entries.values():
        entry.expires = 0.0


@pytest.mark.asyncio
async def test_the_figure_follows_the_ledger_once_the_cache_expires(
    year: Database, dublin_app: Starlette, dublin_client: httpx.AsyncClient
) -> None:
    state: AppState = dublin_app.state.donations
    cache = state.progress_cache = ProgressCache(ttl=0.2)
    before = await current_progress(state, None)
    assert before is not None and before["net"] == 16200
    gift = se.one_off_gift(1000, "eur", at("2026-08-01T10:00:00"), "lu@example.org")
    await deliver_all(dublin_client, gift.events, TEST_WEBHOOK_SECRET)
    cached = await current_progress(state, None)
    assert cached is not None and cached["net"] == 16200  # within the TTL: the same figure
    await asyncio.sleep(0.25)
    # Expired: this reader still gets the previous figure and starts the recompute.
    stale = await current_progress(state, None)
    assert stale is not None and stale["net"] == 16200
    await cache.refreshes[None]
    fresh = await current_progress(state, None)
    assert fresh is not None and fresh["net"] == 16200 + 1000


@pytest.mark.asyncio
async def test_readers_during_a_slow_recompute_get_the_previous_figure(
    year: Database, dublin_app: Starlette, dublin_client: httpx.AsyncClient
) -> None:
    state: AppState = dublin_app.state.donations
    gate = asyncio.Event()
    gate.set()
    cache = state.progress_cache = ProgressCache(compute=held_progress(gate))
    before = await current_progress(state, "2026")
    assert before is not None and before["net"] == 16200
    gift = se.one_off_gift(1000, "eur", at("2026-08-01T10:00:00"), "lu@example.org")
    await deliver_all(dublin_client, gift.events, TEST_WEBHOOK_SECRET)
    gate.clear()
    expire(cache)
    during = await asyncio.wait_for(current_progress(state, "2026"), timeout=1)
    recompute = cache.refreshes["2026"]
    await asyncio.sleep(0.05)
    assert during is before and not recompute.done()  # answered while the recompute waits
    gate.set()
    await recompute
    after = await current_progress(state, "2026")
    assert after is not None and after["net"] == 16200 + 1000


@pytest.mark.asyncio
async def test_one_recompute_runs_for_many_readers_after_expiry(
    year: Database, dublin_app: Starlette
) -> None:
    state: AppState = dublin_app.state.donations
    gate = asyncio.Event()
    gate.set()
    cache = state.progress_cache = ProgressCache(compute=held_progress(gate))
    queries = progress_queries(state)
    await current_progress(state, "2026")
    assert len(queries) == 1
    gate.clear()
    expire(cache)
    figures = await asyncio.gather(*(current_progress(state, "2026") for _ in range(50)))
    assert {figure["net"] for figure in figures if figure} == {16200}
    assert list(cache.refreshes) == ["2026"]
    gate.set()
    await cache.refreshes["2026"]
    assert len(queries) == 2  # the first computation and exactly one recompute


@pytest.mark.asyncio
async def test_a_failed_recompute_keeps_the_previous_figure(
    year: Database, dublin_app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    state: AppState = dublin_app.state.donations
    failing = False

    async def compute(state: AppState, slug: str | None, now: datetime) -> dict[str, Any] | None:
        if failing:
            raise ConnectionError("database went away")
        return await compute_progress(state, slug, now)

    cache = state.progress_cache = ProgressCache(compute=compute)
    before = await current_progress(state, "2026")
    failing = True
    expire(cache)
    assert await current_progress(state, "2026") is before
    await cache.refreshes["2026"]
    # Tried again only after another TTL, not on the next request.
    assert await current_progress(state, "2026") is before and not cache.refreshes
    assert "recomputing progress of 2026 failed" in caplog.text


@pytest.mark.asyncio
async def test_unknown_campaigns_are_not_remembered(year: Database, dublin_app: Starlette) -> None:
    state: AppState = dublin_app.state.donations
    assert await current_progress(state, "no-such-campaign") is None
    cache = state.progress_cache
    assert "no-such-campaign" not in cache.entries and "no-such-campaign" not in cache.locks
