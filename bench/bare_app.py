"""The floors outside our stack: a bare Starlette app on the raw driver, one uvicorn worker.

    python -m bench.bare_app --port P --database-url URL --progress-from URL

Nothing of ours is imported (no donations/, no webhooks/, no SQLAlchemy): this is what a
person would write in an afternoon to do the same job, and so the least the job costs on this
machine, with this Python, uvicorn and Starlette.

- `POST /bare/webhook`, the intake's raw floor: Stripe's signature checked by hand (HMAC-SHA256
  of `t.body` against each `v1=`, timestamp within 300 s: https://docs.stripe.com/webhooks#verify-manually),
  the body parsed as JSON, then one INSERT of the event id and body, committed, before the 200.
  SQLite: one aiosqlite connection in WAL with synchronous=NORMAL (the app's pragmas); each
  request inserts then commits, and a commit takes along whatever other requests inserted
  meanwhile, which is what aiosqlite code written the obvious way does. PostgreSQL: an
  asyncpg pool; each INSERT is its own transaction (autocommit).
- `GET /bare/progress`, the progress API's floor: the very bytes GET /api/progress answered,
  fetched once from `--progress-from` at start-up, as a constant response.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import asyncpg  # type: ignore[import-untyped]  # no stubs; only the bare floor uses it directly
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The same secret and table as the in-app floor (bench/bench_app.py, bench/ledger_db.py);
# written out here so that nothing of the app is imported.
WEBHOOK_SECRET = b"whsec_bench_secret"
FLOOR_TABLE = "bench_floor"
TOLERANCE_SECONDS = 300
WEBHOOK_PATH = "/bare/webhook"
PROGRESS_PATH = "/bare/progress"
PG_POOL_SIZE = 10


def signature_ok(body: bytes, header: str | None) -> bool:
    if not header:
        return False
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(WEBHOOK_SECRET, timestamp.encode() + b"." + body, hashlib.sha256)
    digest = expected.hexdigest()
    return any(hmac.compare_digest(digest, signature) for signature in signatures)


class Store:
    """One INSERT and its commit, on the raw driver."""

    async def insert(self, event_id: str, body: str) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteStore(Store):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        connection = await aiosqlite.connect(path)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            await connection.execute(f"PRAGMA {pragma}")
        return cls(connection)

    async def insert(self, event_id: str, body: str) -> None:
        await self.connection.execute(
            f"INSERT INTO {FLOOR_TABLE} (event_id, body) VALUES (?, ?)", (event_id, body)
        )
        await self.connection.commit()

    async def close(self) -> None:
        await self.connection.close()


class PostgresStore(Store):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        pool = await asyncpg.create_pool(url, min_size=PG_POOL_SIZE, max_size=PG_POOL_SIZE)
        return cls(pool)

    async def insert(self, event_id: str, body: str) -> None:
        await self.pool.execute(
            f"INSERT INTO {FLOOR_TABLE} (event_id, body) VALUES ($1, $2)", event_id, body
        )

    async def close(self) -> None:
        await self.pool.close()


def create_bare_app(database_url: str, progress_from: str | None) -> Starlette:
    shared: dict[str, Any] = {}

    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signature_ok(body, request.headers.get("stripe-signature")):
            return JSONResponse({"received": False, "error": "invalid signature"}, 400)
        try:
            event = json.loads(body)
            event_id = event["id"]
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"received": False, "error": "not an event"}, 400)
        await shared["store"].insert(event_id, body.decode())
        return JSONResponse({"received": True})

    async def progress(request: Request) -> Response:
        return Response(shared["progress"], media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database_url.startswith("sqlite:///"):
            store: Store = await SqliteStore.open(database_url.removeprefix("sqlite:///"))
        else:
            store = await PostgresStore.open(database_url)
        shared["store"] = store
        shared["progress"] = b"{}"
        if progress_from:
            with urllib.request.urlopen(progress_from, timeout=60) as answer:
                shared["progress"] = answer.read()
        try:
            yield
        finally:
            await store.close()

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, webhook, methods=["POST"]),
            Route(PROGRESS_PATH, progress, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_app", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--database-url", required=True, help="sqlite:///PATH or postgresql://... (libpq)"
    )
    parser.add_argument("--progress-from", help="the URL whose answer /bare/progress repeats")
    args = parser.parse_args(argv)
    # The same uvicorn setup as the app's (bench/bench_app.py): one worker, access log off.
    uvicorn.run(
        create_bare_app(args.database_url, args.progress_from),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        proxy_headers=False,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
