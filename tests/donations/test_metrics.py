"""GET /metrics in-process: who may read it, what the labels are, the inbox gauges.

The counters are the process's own (the pytest process's, shared by every test), so these
tests compare a scrape after with one before. A real server with several workers is in
tests/e2e/test_metrics.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError
from sqlalchemy import update

import stripe_events as se
from donations.app import create_app
from donations.db import Database
from donations.models import StripeEvent, utcnow
from donations.settings import Settings
from donations.staff import add_staff
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.apps import asgi_client, running_app
from tests.support.servers import free_port, serve_in_thread
from tests.support.webhook_delivery import deliver

TOKEN = secrets.token_hex(32)
REQUESTS = "donations_http_request_duration_seconds_count"
CHECKOUTS = "donations_checkouts_total"


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def production(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "ENVIRONMENT": "production",
            "STRIPE_SECRET_KEY": "sk_live_" + secrets.token_hex(24),
            "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(24),
            "SITE_URL": "https://news.example.org",
            "SMTP_URL": "smtp://127.0.0.1:9",
            **changes,
        }
    )


@pytest.mark.asyncio
async def test_metrics_are_open_in_development_without_a_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["cache-control"] == "no-store"
    assert 'donations_webhook_events_unprocessed{status="failed"} 0.0' in response.text


@pytest.mark.asyncio
async def test_production_serves_metrics_only_with_a_token(settings: Settings) -> None:
    async with running_app(production(settings)) as app, asgi_client(app) as http:
        response = await http.get("/metrics")
    assert (response.status_code, response.text) == (
        404,
        "Not found: set METRICS_TOKEN to serve metrics in production.\n",
    )


@pytest.mark.asyncio
async def test_a_metrics_token_is_asked_for_as_a_bearer(settings: Settings) -> None:
    async with (
        running_app(production(settings, METRICS_TOKEN=TOKEN)) as app,
        asgi_client(app) as http,
    ):
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer " + "x" * 64})
        basic = await http.get("/metrics", auth=("metrics", TOKEN))
        right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "donations_" not in refused.text
    assert right.status_code == 200
    assert "donations_webhook_events_unprocessed" in right.text


@pytest.mark.parametrize("token", ["short", "é" * 40])
def test_a_short_or_non_ascii_metrics_token_is_refused_by_name(token: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(METRICS_TOKEN=token)
    [error] = raised.value.errors()
    assert error["loc"] == ("METRICS_TOKEN",)
    assert "at least 32 ASCII characters" in error["msg"]


def test_an_empty_metrics_token_is_no_token() -> None:
    assert Settings(METRICS_TOKEN="").METRICS_TOKEN is None


@pytest.mark.asyncio
async def test_requests_are_timed_by_route_template_never_by_path(
    db: Database, client: httpx.AsyncClient
) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password="correct horse battery", actor="test")
    export = {"route": "/admin/export/{report}.csv", "method": "GET", "status": "200"}
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    emulator = {"route": "/stripe-emulator/{path}", "method": "GET", "status": "404"}
    odd = {"route": "/healthz", "method": "other", "status": "405"}
    before = [counted(REQUESTS, **labels) for labels in (export, unmatched, emulator, odd)]
    auth = ("ana", "correct horse battery")
    for report in ("sources", "funnel"):
        assert (await client.get(f"/admin/export/{report}.csv", auth=auth)).status_code == 200
    assert (await client.get("/nothing/ana@example.org")).status_code == 404
    assert (await client.get("/stripe-emulator/v1/nothing")).status_code == 404
    assert (await client.request("BREW", "/healthz")).status_code == 405
    after = [counted(REQUESTS, **labels) for labels in (export, unmatched, emulator, odd)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1, 1]
    scrape = (await client.get("/metrics")).text
    assert "ana@example.org" not in scrape and "/admin/export/sources.csv" not in scrape


@pytest.mark.asyncio
async def test_checkouts_are_counted_by_outcome(database_url: str) -> None:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url, SITE_URL=f"http://127.0.0.1:{port}",
        CHECKOUT_RATE_LIMIT="1/minute",
    )  # fmt: skip
    outcomes = [("api", "created"), ("api", "rate_limited"), ("api", "invalid"),
                ("form", "cross_site")]  # fmt: skip
    before = [counted(CHECKOUTS, via=via, outcome=outcome) for via, outcome in outcomes]
    gift = {"amount": 1500, "currency": "eur", "frequency": "one_off"}
    with serve_in_thread(create_app(settings), port=port) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            statuses = [
                (await http.post("/api/checkout-sessions", json=gift)).status_code,
                (await http.post("/api/checkout-sessions", json=gift)).status_code,
                (
                    await http.post("/api/checkout-sessions", json={**gift, "amount": 10})
                ).status_code,
                (await http.post("/contribute", data={"amount": "15"})).status_code,
            ]
    assert statuses == [201, 429, 422, 403]
    after = [counted(CHECKOUTS, via=via, outcome=outcome) for via, outcome in outcomes]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1]


@pytest.mark.asyncio
async def test_a_checkout_stripe_did_not_answer_is_counted_as_provider_unavailable(
    settings: Settings,
) -> None:
    unreachable = settings.model_copy(
        update={"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    )
    labels = {"via": "api", "outcome": "provider_unavailable"}
    before = counted(CHECKOUTS, **labels)
    gift = {"amount": 1500, "currency": "eur", "frequency": "one_off"}
    async with running_app(unreachable) as app, asgi_client(app) as http:
        response = await http.post("/api/checkout-sessions", json=gift)
    assert response.status_code == 503
    assert counted(CHECKOUTS, **labels) - before == 1


@pytest.mark.asyncio
async def test_inbox_gauges_count_failed_and_pending_events_at_scrape_time(
    db: Database, client: httpx.AsyncClient
) -> None:
    gift = se.one_off_gift(1500, "eur", se.START, "ana@example.org")
    bogus = se.refund(gift, 500, se.START).events[0]
    bogus["data"]["object"]["status"] = "reversed"
    assert (await deliver(client, bogus, TEST_WEBHOOK_SECRET)).status_code == 422
    for event in gift.events:
        assert (await deliver(client, event, TEST_WEBHOOK_SECRET)).status_code == 200
    # As a process that died mid-event leaves one: stored, never finished.
    async with db.writing_session() as session:
        await session.exec(
            update(StripeEvent)  # type: ignore[call-overload]
            .where(StripeEvent.id == gift.events[0]["id"])
            .values(status="pending", received_at=utcnow() - timedelta(minutes=10))
        )
    scrape = (await client.get("/metrics")).text
    lines = [line for line in scrape.splitlines() if "unprocessed" in line and line[0] != "#"]
    assert lines[:2] == [
        'donations_webhook_events_unprocessed{status="failed"} 1.0',
        'donations_webhook_events_unprocessed{status="pending"} 1.0',
    ]
    ages = {line.split("{")[1].split("}")[0]: float(line.split()[-1]) for line in lines[2:]}
    assert 0 <= ages['status="failed"'] < 60
    assert 600 <= ages['status="pending"'] < 660
