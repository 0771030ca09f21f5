"""A checkout without an Idempotency-Key writes its row while Stripe is asked, and answers
once both are done: never a session whose row is not there (donations/checkout/service.py).
On both databases, over real HTTP, with the mounted emulator as Stripe."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import Mount

from donations.app import create_app
from donations.checkout import service
from donations.db import Database, is_sqlite
from tests.donations.test_checkout_api import live_settings, rows
from tests.support.servers import free_port, serve_in_thread

pytestmark = pytest.mark.asyncio

BODY = {"amount": 1313, "currency": "eur", "frequency": "one_off"}
DAY = 24 * 3600


def sessions_at_stripe(app: Starlette) -> list[dict[str, Any]]:
    """The Checkout Sessions the app's mounted emulator has made."""
    [emulator] = [r.app for r in app.routes if isinstance(r, Mount) and r.name == "stripe_emulator"]
    store = emulator.state.emulator.store
    with store.lock:
        return [dict(session) for session in store.by_type.get("checkout.session", {}).values()]


@contextmanager
def served(database_url: str) -> Iterator[tuple[Starlette, str]]:
    port = free_port()
    app = create_app(live_settings(database_url, port))
    with serve_in_thread(app, port=port) as url:
        yield app, url


@asynccontextmanager
async def checkout_table_held(db: Database) -> AsyncIterator[None]:
    """No one else may write the checkout table until the block ends: SQLite's write lock,
    or PostgreSQL's SHARE lock on the table (reads go on)."""
    if db.is_sqlite:
        holder = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    async with db.engine.connect() as connection, connection.begin():
        await connection.execute(text("LOCK TABLE checkout IN SHARE MODE"))
        yield


async def until(condition: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never came true")


async def test_stripe_is_asked_while_the_row_waits_for_the_database(
    database_url: str, db: Database
) -> None:
    reader = Database(database_url, writes=False)  # reads while the writers wait
    with served(database_url) as (app, url):
        async with httpx.AsyncClient(timeout=30) as http:
            # A first checkout, so that the app's connections are open (opening one on
            # SQLite sets its pragmas, which would wait for the lock too).
            first = await http.post(f"{url}/api/checkout-sessions", json=BODY | {"amount": 1000})
            async with checkout_table_held(db):
                answer = asyncio.ensure_future(http.post(f"{url}/api/checkout-sessions", json=BODY))
                await until(lambda: len(sessions_at_stripe(app)) == 2)
                session = next(s for s in sessions_at_stripe(app) if s["amount_total"] == 1313)
                # Stripe has answered; the row is not written, so the reader has no answer.
                assert [row.amount for row in await rows(reader)] == [1000]
                await asyncio.sleep(0.05)
                assert not answer.done()
            response = await answer
    await reader.dispose()
    assert (first.status_code, response.status_code) == (201, 201)
    assert (response.json()["id"], response.json()["url"]) == (session["id"], session["url"])
    [_, row] = await rows(db)
    assert (row.id, row.status, row.stripe_session_id, row.amount) == (
        session["metadata"]["checkout_id"], "open", session["id"], 1313,
    )  # fmt: skip


async def test_with_an_idempotency_key_stripe_is_asked_only_once_the_row_is_written(
    database_url: str, db: Database
) -> None:
    """The key's row is its claim: committed before Stripe is asked, so that two requests
    with one key never both make a session."""
    reader = Database(database_url, writes=False)
    headers = {"Idempotency-Key": "front-end-held"}
    with served(database_url) as (app, url):
        async with httpx.AsyncClient(timeout=30) as http:
            first = await http.post(f"{url}/api/checkout-sessions", json=BODY | {"amount": 1000})
            async with checkout_table_held(db):
                answer = asyncio.ensure_future(
                    http.post(f"{url}/api/checkout-sessions", json=BODY, headers=headers)
                )
                await asyncio.sleep(0.3)
                assert [s["amount_total"] for s in sessions_at_stripe(app)] == [1000]
                assert [row.amount for row in await rows(reader)] == [1000]
                assert not answer.done()
            response = await answer
            # Seven more with the key at once: the same session or 409, never a new one.
            again = await asyncio.gather(
                *(
                    http.post(f"{url}/api/checkout-sessions", json=BODY, headers=headers)
                    for _ in range(7)
                )
            )
    await reader.dispose()
    assert (first.status_code, response.status_code) == (201, 201)
    assert {(a.status_code, a.json()["id"]) for a in again} == {(201, response.json()["id"])}
    assert sorted(s["amount_total"] for s in sessions_at_stripe(app)) == [1000, 1313]
    [_, row] = await rows(db)
    assert (row.idempotency_key, row.status, row.stripe_session_id) == (
        "front-end-held", "open", response.json()["id"],
    )  # fmt: skip


# The row of a 1313 cent gift cannot be written: on SQLite at the INSERT, on PostgreSQL at
# its COMMIT (a deferred constraint trigger), the last moment a write can fail.
_REFUSE = {
    "sqlite": [
        "CREATE TRIGGER refuse_1313 BEFORE INSERT ON checkout WHEN NEW.amount = 1313 "
        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_1313() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.amount = 1313 THEN RAISE EXCEPTION 'refused for the test'; END IF; "
        "RETURN NULL; END $$",
        "CREATE CONSTRAINT TRIGGER refuse_1313 AFTER INSERT ON checkout "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_1313()",
    ],
}
_ALLOW = {
    "sqlite": ["DROP TRIGGER refuse_1313"],
    "postgresql": ["DROP TRIGGER refuse_1313 ON checkout", "DROP FUNCTION refuse_1313()"],
}


@asynccontextmanager
async def rows_of_1313_refused(db: Database) -> AsyncIterator[None]:
    kind = "sqlite" if is_sqlite(db.url) else "postgresql"
    async with db.engine.begin() as connection:
        for statement in _REFUSE[kind]:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with db.engine.begin() as connection:
            for statement in _ALLOW[kind]:
                await connection.execute(text(statement))


async def test_a_row_that_cannot_be_written_is_an_error_and_its_session_expires_into_the_funnel(
    database_url: str, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with served(database_url) as (app, url):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            async with rows_of_1313_refused(db):
                # Not kept alive: uvicorn closes a connection whose request raised.
                response = await http.post(
                    "/api/checkout-sessions", json=BODY, headers={"Connection": "close"}
                )
                # Stripe was asked meanwhile, but the reader never sees its session.
                assert response.status_code == 500
                assert "cs_" not in response.text
                assert await rows(db) == []
                [session] = sessions_at_stripe(app)
                assert [r.getMessage() for r in caplog.records if r.name == service.__name__] == [
                    f"checkout row not written: session {session['id']} left to expire"
                ]
            # A day later Stripe expires it, and its webhook puts the row in the funnel.
            advanced = await http.post(
                "/stripe-emulator/_emulator/clock/advance", json={"seconds": DAY + 60}
            )
            flushed = await http.post(
                "/stripe-emulator/_emulator/deliveries/flush", json={"timeout": 20}
            )
    assert (advanced.status_code, flushed.status_code) == (200, 200)
    assert flushed.json()["flushed"] is True
    [row] = await rows(db)
    assert (row.id, row.status, row.stripe_session_id, row.amount, row.started_here) == (
        session["metadata"]["checkout_id"], "expired", session["id"], 1313, True,
    )  # fmt: skip
