"""A hung database or a stalled Stripe costs a request a bounded time, measured here against
the real thing hanging: a server that never answers, a session holding the lock."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

import stripe_events
from donations.db import Database, is_sqlite
from donations.models import Checkout, CheckoutStatus
from donations.settings import Settings
from donations.state import THANKS_LOOKUPS
from donations.web.limits import RequestDeadline
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.apps import asgi_client, running_app
from tests.support.servers import serve_in_thread
from tests.support.stalled import holding_the_write_lock, silent_server
from tests.support.webhook_delivery import signed
from webhooks import inbox

pytestmark = pytest.mark.asyncio

DATABASE_DOWN = "The database is not answering. Please try again in a minute."
CONTRIBUTION = {"amount": 500, "currency": "eur", "frequency": "one_off"}
# Time a test allows itself past a bound: thread start-up, a busy two-core machine.
SLACK = 1.5


async def _timed(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.request(method, path, **kwargs)
    return response, time.monotonic() - started


def _gift() -> tuple[bytes, dict[str, str]]:
    event = stripe_events.one_off_gift(1500, "eur", int(time.time()), "ana@example.org").events[1]
    return signed(event, TEST_WEBHOOK_SECRET)


async def _every_door(client: httpx.AsyncClient) -> dict[str, tuple[httpx.Response, float]]:
    body, headers = _gift()
    return {
        "readyz": await _timed(client, "GET", "/readyz"),
        "progress": await _timed(client, "GET", "/api/progress"),
        "webhook": await _timed(client, "POST", "/webhooks/stripe", content=body, headers=headers),
        "checkout": await _timed(client, "POST", "/api/checkout-sessions", json=CONTRIBUTION),
    }


def _assert_database_down(
    answers: dict[str, tuple[httpx.Response, float]], doors: tuple[str, ...]
) -> None:
    for door in doors:
        response, _ = answers[door]
        assert response.status_code == 503, (door, response.text)
    if "readyz" in doors:
        assert answers["readyz"][0].json() == {
            "status": "unavailable",
            "reason": "database unreachable",
        }
    if "progress" in doors:
        assert answers["progress"][0].json()["error"]["code"] == "database_unavailable"
    assert answers["webhook"][0].json() == {"received": False, "error": DATABASE_DOWN}
    assert answers["webhook"][0].headers["retry-after"] == "30"
    assert answers["checkout"][0].json() == {
        "error": {"code": "database_unavailable", "message": DATABASE_DOWN, "field": None}
    }


async def test_a_database_server_that_never_answers_costs_the_connect_timeout(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="donations")
    with silent_server() as port:
        hung = settings.model_copy(
            update={
                "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/donations",
                "DATABASE_CONNECT_TIMEOUT": 1.0,
            }
        )
        async with running_app(hung) as app, asgi_client(app) as client:
            answers = await _every_door(client)
    _assert_database_down(answers, ("readyz", "progress", "webhook", "checkout"))
    for door, (_, seconds) in answers.items():
        # The webhook tries twice: to store the event, then to keep it as failed.
        bound = 2.0 if door == "webhook" else 1.0
        assert seconds < bound + SLACK, (door, seconds)
    limits_lines = [r.getMessage() for r in caplog.records if r.name == "donations.web.limits"]
    assert limits_lines == ["database unavailable"] * 3
    assert [r for r in caplog.records if r.name.startswith("donations") and r.exc_info] == []


async def test_a_session_holding_the_lock_costs_a_writer_the_statement_timeout(
    settings: Settings, database_url: str, db: Database
) -> None:
    bounded = settings.model_copy(update={"DATABASE_STATEMENT_TIMEOUT": 1.0})
    async with running_app(bounded) as app, asgi_client(app) as client:
        with holding_the_write_lock(database_url):
            answers = await _every_door(client)
        async with db.session() as session:
            written = (await session.exec(select(Checkout))).all()
        body, headers = _gift()
        ready = await client.get("/readyz")
        delivered = await client.post("/webhooks/stripe", content=body, headers=headers)
    # On SQLite too: the app's engine begins every transaction IMMEDIATE, reads included.
    _assert_database_down(answers, ("readyz", "progress", "webhook", "checkout"))
    # The inbox retries SQLite's lock (webhooks/inbox.py), then keeps the event as failed:
    # one statement timeout per try.
    webhook_tries = inbox.ATTEMPTS + 1 if is_sqlite(database_url) else 2
    for door, (_, seconds) in answers.items():
        bound = webhook_tries * 1.0 if door == "webhook" else 1.0
        assert seconds < bound + SLACK, (door, seconds)
    # Nothing half-written, and once the lock is gone the same app serves again.
    assert written == []
    assert (ready.status_code, delivered.status_code) == (200, 200)
    assert delivered.json() == {"received": True}


async def test_a_stalled_stripe_is_a_503_within_three_attempts(
    settings: Settings, db: Database
) -> None:
    with silent_server() as port:
        stalled = settings.model_copy(
            update={
                "STRIPE_SECRET_KEY": "sk_test_stalled",
                "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
                "STRIPE_TIMEOUT": 0.5,
            }
        )
        async with running_app(stalled) as app, asgi_client(app) as client:
            response, seconds = await _timed(
                client, "POST", "/api/checkout-sessions", json=CONTRIBUTION
            )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    # Three attempts of 0.5 s and the library's pauses between them (at most 1 s, then 2 s).
    assert 1.5 <= seconds < 1.5 + 3.0 + SLACK
    async with db.session() as session:
        [row] = (await session.exec(select(Checkout))).all()
    assert row.status == CheckoutStatus.failed
    assert row.failure_reason is not None and row.failure_reason.startswith("APIConnectionError")


async def test_a_request_past_its_deadline_is_a_504_with_the_reason(
    settings: Settings, db: Database
) -> None:
    with silent_server() as port:
        slow = settings.model_copy(
            update={
                "STRIPE_SECRET_KEY": "sk_test_stalled",
                "STRIPE_API_BASE": f"http://127.0.0.1:{port}",
                "STRIPE_TIMEOUT": 30.0,
                "REQUEST_TIMEOUT": 1.0,
            }
        )
        async with running_app(slow) as app, asgi_client(app) as client:
            response, seconds = await _timed(
                client, "POST", "/api/checkout-sessions", json=CONTRIBUTION
            )
            form, _ = await _timed(client, "GET", "/contribute")
    assert (response.status_code, response.json()) == (
        504,
        {
            "error": {
                "code": "timeout",
                "message": "The server could not answer within 1 s. Please try again.",
                "field": None,
            }
        },
    )
    assert 1.0 <= seconds < 1.0 + SLACK
    # The row was claimed before Stripe was called: the funnel counts the attempt.
    async with db.session() as session:
        [row] = (await session.exec(select(Checkout))).all()
    assert row.status == CheckoutStatus.created
    assert form.status_code == 200


@contextmanager
def counting_stripe() -> Iterator[tuple[str, list[str]]]:
    """A stand-in Stripe that knows no Checkout Session, and counts who asked."""
    asked: list[str] = []

    async def retrieve(request: Request) -> Response:
        asked.append(request.path_params["session_id"])
        error = {"type": "invalid_request_error", "code": "resource_missing",
                 "message": "No such checkout.session", "param": "id"}  # fmt: skip
        return JSONResponse({"error": error}, status_code=404)

    stripe = Starlette(routes=[Route("/v1/checkout/sessions/{session_id}", retrieve)])
    with serve_in_thread(stripe) as url:
        yield url, asked


async def test_the_thanks_page_asks_stripe_about_unknown_ids_within_a_budget(
    settings: Settings, db: Database
) -> None:
    budget = int(THANKS_LOOKUPS.split("/")[0])
    async with db.writing_session() as session:
        session.add(Checkout(id="chk_ours", amount=1500, currency="eur", frequency="one_off",
                             status=CheckoutStatus.open, stripe_session_id="cs_test_ours"))  # fmt: skip
    with counting_stripe() as (url, asked):
        app_settings = settings.model_copy(
            update={"STRIPE_SECRET_KEY": "sk_test_counted", "STRIPE_API_BASE": url}
        )
        async with running_app(app_settings) as app, asgi_client(app) as client:
            made_up = [
                await client.get(
                    "/contribute/thanks", params={"session_id": f"cs_test_made_up_{n}"}
                )
                for n in range(budget + 10)
            ]
            ours = await client.get("/contribute/thanks", params={"session_id": "cs_test_ours"})
    assert len(asked) == budget
    assert [r.status_code for r in made_up] == [404] * budget + [200] * 10
    plain = made_up[-1].text
    assert "Thank you" in plain and "You are giving" not in plain
    assert (ours.status_code, "You are giving <strong>€15.00 once</strong>." in ours.text) == (
        200,
        True,
    )


def _streaming_app() -> Starlette:
    async def export(request: Request) -> Response:
        async def rows() -> AsyncIterator[str]:
            yield "period,net\n"
            for n in range(6):
                await asyncio.sleep(0.4)
                yield f"2026-0{n + 1},{n}\n"

        return StreamingResponse(rows(), media_type="text/csv")

    async def stuck(request: Request) -> Response:
        await asyncio.sleep(5)
        return PlainTextResponse("too late")

    inner = Starlette(routes=[Route("/export.csv", export), Route("/stuck", stuck)])
    return RequestDeadline(inner, seconds=1.0)  # type: ignore[return-value]


async def test_the_deadline_is_lifted_once_an_export_has_started_streaming() -> None:
    with serve_in_thread(_streaming_app()) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            export, export_seconds = await _timed(client, "GET", "/export.csv")
            stuck, stuck_seconds = await _timed(client, "GET", "/stuck")
    assert export.status_code == 200, export.text
    assert export.text.splitlines() == ["period,net", *(f"2026-0{n + 1},{n}" for n in range(6))]
    assert export_seconds >= 2.4
    assert (stuck.status_code, stuck.text) == (
        504,
        "The server could not answer within 1 s. Please try again.\n",
    )
    assert 1.0 <= stuck_seconds < 1.0 + SLACK
