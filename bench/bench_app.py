"""The app under test, plus three bench-only baseline routes, in one uvicorn process.

    python -m bench.bench_app --port P --database-url URL --stripe-api-base URL

The app is `create_app(settings)`, unchanged; the baselines are added as extra routes so they
run behind the same middleware, in the same process, on the same engine:

- `POST /bench/floor`, the *durable floor* for the webhook intake: the app's own check of the
  Stripe-Signature HMAC and the event's JSON (webhooks/verification.py), then the raw body
  into one table in one commit. Nothing cheaper can still claim "verified and stored", so
  the intake's events/s is reported as a share of it.
- `GET /bench/constant`, a constant JSON of the progress shape: what serving
  `GET /api/progress` costs with no work at all.
- `POST /bench/stripe-relay`, a checkout with no database: the reader's JSON in, the app's
  own Stripe call (`donations.checkout.service.open_session`), the session out as ours answers it. The
  least a checkout endpoint built on Starlette and the stripe library can cost; what ours
  adds beyond it is its validation, the rate limiter and its two commits.
"""

from __future__ import annotations

import argparse

import uvicorn
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bench.ledger_db import FLOOR_TABLE
from donations.app import create_app
from donations.checkout.rules import Contribution, new_checkout_id
from donations.checkout.service import open_session
from donations.models import Frequency
from donations.settings import Settings
from donations.state import app_state
from webhooks.verification import Refused, verify

BENCH_WEBHOOK_SECRET = "whsec_bench_secret"
BENCH_STRIPE_KEY = "sk_test_bench"
# The session-creation limit is not what is measured here.
BENCH_RATE_LIMIT = "1000000/second"
FLOOR_PATH = "/bench/floor"
CONSTANT_PATH = "/bench/constant"
RELAY_PATH = "/bench/stripe-relay"

CONSTANT_PROGRESS = {
    "campaign": "2026",
    "name": "Reader support 2026",
    "currency": "eur",
    "starts_on": "2026-01-01",
    "ends_on": "2026-12-31",
    "target": 50000000,
    "gross": 31234500,
    "refunded": 123400,
    "disputed": 5600,
    "net": 31105500,
    "fees": None,
    "percent": 62.2,
    "payments": 4321,
    "supporters": 3210,
    "one_off": {"count": 1234, "amount": 12345600},
    "recurring": {"count": 3087, "amount": 18888900},
    "active_members": 2100,
    "past_due_members": 21,
    "mrr": 2100000,
    "other_currencies": {
        "gbp": {"gross": 100000, "refunded": 0, "disputed": 0, "net": 100000, "payments": 12}
    },
    "as_of": "2026-11-28T07:00:00Z",
}


async def durable_floor(request: Request) -> JSONResponse | PlainTextResponse:
    try:
        event, body = verify(
            await request.body(), request.headers.get("stripe-signature"), BENCH_WEBHOOK_SECRET
        )
    except Refused as refused:
        return PlainTextResponse(refused.reason, status_code=400)
    async with app_state(request).db.engine.begin() as connection:
        await connection.execute(
            text(f"INSERT INTO {FLOOR_TABLE} (event_id, body) VALUES (:event_id, :body)"),
            {"event_id": event.id, "body": body},
        )
    return JSONResponse({"received": True})


async def constant_progress(request: Request) -> JSONResponse:
    return JSONResponse(CONSTANT_PROGRESS)


async def stripe_relay(request: Request) -> JSONResponse:
    body = await request.json()
    contribution = Contribution(
        body["amount"],
        body["currency"],
        Frequency(body["frequency"]),
        body.get("email"),
        body.get("source"),
    )
    session_id, url = await open_session(
        app_state(request), contribution, checkout_id=new_checkout_id()
    )
    # Ours' answer (POST /api/checkout-sessions), so the two differ only in the work done.
    return JSONResponse({"id": session_id, "url": url}, status_code=201)


def bench_settings(database_url: str, *, stripe_api_base: str, site_url: str) -> Settings:
    """Stripe is the standalone emulator at `stripe_api_base`, reached as Stripe would be."""
    return Settings(
        DATABASE_URL=database_url,
        STRIPE_WEBHOOK_SECRET=BENCH_WEBHOOK_SECRET,
        STRIPE_SECRET_KEY=BENCH_STRIPE_KEY,
        STRIPE_API_BASE=stripe_api_base,
        SITE_URL=site_url,
        CURRENCIES=["eur", "gbp", "usd"],
        DEFAULT_CURRENCY="eur",
        CHECKOUT_RATE_LIMIT=BENCH_RATE_LIMIT,
        REDIS_URL=None,
    )


def create_bench_app(settings: Settings) -> Starlette:
    app = create_app(settings)
    app.router.routes[0:0] = [
        Route(FLOOR_PATH, durable_floor, methods=["POST"]),
        Route(CONSTANT_PATH, constant_progress, methods=["GET"]),
        Route(RELAY_PATH, stripe_relay, methods=["POST"]),
    ]
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--stripe-api-base", required=True)
    args = parser.parse_args(argv)
    settings = bench_settings(
        args.database_url,
        stripe_api_base=args.stripe_api_base,
        site_url=f"http://127.0.0.1:{args.port}",
    )
    # The same uvicorn setup as `donations serve`: one worker, uvloop and httptools when
    # installed (uvicorn[standard]); access logs off, as a production deployment would run.
    uvicorn.run(
        create_bench_app(settings),
        host="127.0.0.1",
        port=args.port,
        workers=1,
        proxy_headers=False,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
