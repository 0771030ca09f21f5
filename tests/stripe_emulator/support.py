"""Helpers for the emulator tests: real uvicorn servers in threads, a webhook receiver that
verifies signatures, a Stack to drive the emulator's controls, and request params as the
project sends them."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
import stripe
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from stripe_emulator import EmulatorConfig

DAY = 86400
SECRET = "whsec_test_emulator_secret"
API_KEY = "sk_test_emulator"
# The balance's own events: money becoming available and payouts follow every payment once
# the clock moves on a few days. Tests about something else look past them.
BALANCE_EVENTS = ("balance.", "payout.")


def apart_from_balance(events: list[Any]) -> list[Any]:
    """Event types (or events) other than the balance's own."""
    return [
        e for e in events if not (e if isinstance(e, str) else e["type"]).startswith(BALANCE_EVENTS)
    ]


class Server:
    """uvicorn serving `app` in a thread, on a socket bound before start (no port race)."""

    def __init__(self, app: ASGIApp, sock: socket.socket | None = None) -> None:
        self.sock = sock or bound_socket()
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", ws="none", http="h11", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self.sock])

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run `coroutine` on the server's loop (where the app's tasks live) and wait."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("server failed to start")
            threading.Event().wait(0.005)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Receiver:
    """Records every verified event; answers 500 to the first `fail_first` attempts of each."""

    secret: str = SECRET
    fail_first: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    attempts: dict[str, int] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def webhook(request: Request) -> Response:
            payload = await request.body()
            try:
                event = stripe.Webhook.construct_event(
                    payload, request.headers.get("Stripe-Signature", ""), self.secret
                )
            except (ValueError, stripe.SignatureVerificationError):
                self.rejected += 1
                return JSONResponse({"error": "bad signature"}, 400)
            seen = self.attempts[event.id] = self.attempts.get(event.id, 0) + 1
            if seen <= self.fail_first:
                return JSONResponse({"error": "try later"}, 500)
            self.events.append(json.loads(payload))
            return JSONResponse({"received": True})

        return Starlette(routes=[Route("/webhooks", webhook, methods=["POST"])])

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def of_type(self, type: str) -> list[dict[str, Any]]:
        return [e["data"]["object"] for e in self.events if e["type"] == type]

    def one(self, type: str) -> dict[str, Any]:
        found = self.of_type(type)
        assert len(found) == 1, (type, self.types())
        return found[0]


@dataclass
class Stack:
    base: str
    receiver: Receiver
    http: httpx.Client
    app: Starlette

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(f"{self.base}/_emulator{path}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def flush(self) -> None:
        assert self.control("/deliveries/flush")["flushed"] is True

    def pay(self, session_id: str, card: str = "4242424242424242", **extra: Any) -> Any:
        return self.control(f"/checkout/sessions/{session_id}/pay", {"card": card, **extra})

    def advance(self, seconds: int) -> Any:
        return self.control("/clock/advance", {"seconds": seconds})

    def advance_to(self, moment: int) -> Any:
        return self.control("/clock/advance", {"to": moment})

    def now(self) -> int:
        return int(self.http.get(f"{self.base}/_emulator/clock").json()["now"])

    def noon(self) -> int:
        """Move the clock to the next 12:00 UTC: what a test does then stays within one day,
        whatever the real time (payouts run at 00:00 UTC on the emulator clock)."""
        midnight = self.now() // DAY * DAY + DAY
        self.advance_to(midnight + DAY // 2)
        return midnight


class Switchboard:
    """An ASGI app forwarding to whichever app the current test plugged in.

    Starting uvicorn takes a few hundred milliseconds; the servers live for the session and
    each test plugs in a fresh emulator and receiver.
    """

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None, "no app plugged in"
        await self.app(scope, receive, send)


@dataclass
class Servers:
    emulator: Server
    emulator_board: Switchboard
    hooks: Server
    hooks_board: Switchboard


def donation_params(**overrides: Any) -> Any:
    """A one-off donation as the project creates it (donations/checkout); typed Any because tests
    override fields beyond what SessionCreateParams allows."""
    params: dict[str, Any] = {
        "mode": "payment",
        "submit_type": "donate",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 1500,
                    "product_data": {"name": "Contribution"},
                },
            }
        ],
        "client_reference_id": "chk_1",
        "metadata": {"checkout_id": "chk_1", "frequency": "one_off"},
        "payment_intent_data": {
            "metadata": {"checkout_id": "chk_1", "source": "article-footer"},
            "description": "Reader contribution",
        },
        "customer_email": "reader@example.org",
        "customer_creation": "always",
        "success_url": "https://news.example/contribute/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example/contribute?cancelled=1",
    }
    params.update(overrides)
    return params


def membership_params(interval: str = "month", amount: int = 1000, **overrides: Any) -> Any:
    params: dict[str, Any] = {
        "mode": "subscription",
        "submit_type": "donate",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": amount,
                    "product_data": {"name": "Membership"},
                    "recurring": {"interval": interval},
                },
            }
        ],
        "client_reference_id": "chk_2",
        "metadata": {"checkout_id": "chk_2"},
        "subscription_data": {"metadata": {"checkout_id": "chk_2", "frequency": "monthly"}},
        "customer_email": "member@example.org",
        "success_url": "https://news.example/contribute/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example/contribute?cancelled=1",
    }
    params.update(overrides)
    return params


def emulator_config(servers: Servers, **options: Any) -> EmulatorConfig:
    return EmulatorConfig(
        public_url=f"http://127.0.0.1:{servers.emulator.port}",
        webhook_endpoints=[(f"http://127.0.0.1:{servers.hooks.port}/webhooks", SECRET)],
        **{"retry_base_delay": 0.01, "max_attempts": 4, "seed": 1, **options},
    )
