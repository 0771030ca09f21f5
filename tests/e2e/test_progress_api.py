"""/api/progress and /widget/progress over a real uvicorn server, under concurrent load."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from donations.app import create_app
from donations.db import Database
from donations.progress_cache import TTL_SECONDS
from donations.settings import Settings
from tests.reports.ledger_fixtures import dublin_app, dublin_client, dublin_settings, year
from tests.reports.test_live import progress_queries
from tests.support.servers import serve_in_thread

pytestmark = pytest.mark.e2e
__all__ = ["dublin_app", "dublin_client", "dublin_settings", "year"]  # fixtures used here


@pytest.fixture
def server(year: Database, dublin_settings: Settings) -> Iterator[tuple[str, Starlette]]:
    app = create_app(dublin_settings)
    with serve_in_thread(app) as base_url:
        yield base_url, app


@pytest.mark.asyncio
async def test_progress_is_cacheable_open_to_any_origin_and_revalidates(
    server: tuple[str, Starlette],
) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url) as http:
        first = await http.get("/api/progress", params={"campaign": "2026"})
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=60"
        assert first.headers["access-control-allow-origin"] == "*"
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        # The figures of tests/reports/test_progress.py, and only what a newsroom would print
        # on its site: no gross, refunds, disputes, fees, members or MRR.
        assert first.json() == {
            "campaign": "2026",
            "name": "Reader support 2026",
            "currency": "eur",
            "starts_on": "2026-03-30",
            "ends_on": "2026-10-25",
            "target": 100000,
            "net": 16200,
            "percent": 16.2,
            "supporters": 7,
            "as_of": first.json()["as_of"],
        }
        again = await http.get("/api/progress?campaign=2026", headers={"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        # No campaign named: the one running today, else the latest (here the only one).
        assert (await http.get("/api/progress")).json()["campaign"] == "2026"
        unknown = await http.get("/api/progress?campaign=nope")
        assert (unknown.status_code, unknown.json()) == (404, {"error": "no campaign 'nope'"})
        assert unknown.headers["access-control-allow-origin"] == "*"


@pytest.mark.asyncio
async def test_widget_may_be_framed_and_runs_no_script(server: tuple[str, Starlette]) -> None:
    base_url, _ = server
    async with httpx.AsyncClient(base_url=base_url) as http:
        widget = await http.get("/widget/progress?campaign=2026")
        unknown = await http.get("/widget/progress?campaign=nope")
    assert (unknown.status_code, unknown.text) == (404, "no campaign 'nope'")
    assert widget.status_code == 200
    policy = widget.headers["content-security-policy"]
    assert "frame-ancestors *" in policy and "default-src 'none'" in policy
    assert "x-frame-options" not in widget.headers
    assert "<script" not in widget.text
    assert "€162.00" in widget.text and "16.2%" in widget.text and "7 supporters" in widget.text


@pytest.mark.asyncio
async def test_many_concurrent_readers_cost_one_query(server: tuple[str, Starlette]) -> None:
    base_url, app = server
    queries = progress_queries(app.state.donations)
    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as http:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(http.get("/api/progress?campaign=2026") for _ in range(300))
        )
        elapsed = time.perf_counter() - started
    assert {r.status_code for r in responses} == {200}
    # At most one aggregate per TTL (5 s) however many readers: on a quiet machine the 300
    # requests take well under a second and cost exactly one. Each computation stamps a new
    # as_of, so the ETags tell the computations apart; a recompute started after expiry may
    # still be running when the last request is answered (with the previous figure).
    assert 1 <= len(queries) <= 1 + int(elapsed / TTL_SECONDS)
    assert 1 <= len({r.headers["etag"] for r in responses}) <= len(queries)
    print(f"\n300 /api/progress requests, 20 connections: {300 / elapsed:.0f} requests/s")
