"""The /_emulator routes: JSON controls for tests and the demo (no auth, never in Stripe).

    POST /_emulator/checkout/sessions/{id}/pay   {"card", "email"?, "name"?}  as the hosted page
         -> {"outcome": "paid"|"processing"|"saved"|"declined", "error", "redirect", "session"}
            ("saved": a setup-mode session saved the card)
    POST /_emulator/clock/advance      {"seconds": N} or {"to": unix}  -> {"now", "events"}
    GET  /_emulator/clock              -> {"now", "offset"}
    POST /_emulator/clock/start        {"at": unix}  -> {"now", "offset"}  start the clock in the
         past (a demo's year of readers), only before anything happened on this emulator
    POST /_emulator/payments/settle    {"ids"?: [pi_ or cs_ ids]}  -> {"settled": [pi ids]}
    POST /_emulator/disputes/{id}/close  {"outcome": "won"|"lost"}  (dp_, ch_ or pi_ id)
    POST /_emulator/payouts/{id}/fail    {"failure_code"?: "account_closed" (default), ...}
         an in-transit or paid payout fails: payout.failed, the money back in the balance
    POST /_emulator/payouts/{id}/cancel  a pending payout is canceled: payout.canceled
    POST /_emulator/deliveries/flush   {"timeout"?: s}  -> {"flushed": bool, "pending": n}
    GET  /_emulator/deliveries         ?event=evt_  -> {"attempts": [...]}
    POST /_emulator/deliveries/options {delivery_delay, shuffle, duplicate_rate, failure_rate,
                                        retry_base_delay, max_attempts, seed}  (any subset)
    POST /_emulator/webhook_endpoints  {"url", "secret"}  add an endpoint at run time
    GET  /_emulator/cards              the test payment methods (cards.py)

Errors use Stripe's error format, so one client helper reads both APIs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_emulator import cards, checkout, disputes, payouts, scheduler
from stripe_emulator.errors import StripeError
from stripe_emulator.state import Json, Store
from stripe_emulator.webhooks import Deliverer

UNKNOWN_CARD = "Your card number is incorrect: use a test number from GET /_emulator/cards."
BAD_JSON = "The request body must be a JSON object."
BAD_START = "Pass `at`, a unix time not in the future, before anything happened on the emulator."
BAD_SECONDS = "Pass a non-negative integer `seconds`, or `to` (a unix time not in the past)."
DEFAULT_EMAIL = "reader@example.com"

Endpoint = Callable[[Request], Awaitable[Response]]


def routes(store: Store, deliverer: Deliverer) -> list[Route]:
    async def pay(request: Request) -> Response:
        body = await _body(request)
        method = cards.lookup(str(body.get("card", "")))
        if method is None:
            raise StripeError(
                UNKNOWN_CARD, status=402, type="card_error", code="incorrect_number", param="card"
            )
        with store.lock:
            session = store.get(request.path_params["id"], "checkout.session", param="session")
            email = body.get("email") or _default_email(store, session)
            result = checkout.pay(store, session["id"], method, email, body.get("name"))
            return _json(
                {
                    "outcome": result.outcome,
                    "error": result.error,
                    "redirect": result.redirect,
                    "session": result.session,
                }
            )

    async def advance(request: Request) -> Response:
        body = await _body(request)
        with store.lock:
            seconds = body.get("seconds")
            if "to" in body and isinstance(body["to"], int):
                seconds = body["to"] - store.now()
            if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
                raise StripeError(BAD_SECONDS, param="seconds")
            events = scheduler.advance(store, seconds)
            return _json(
                {"now": store.now(), "events": [{"id": e["id"], "type": e["type"]} for e in events]}
            )

    async def start_clock(request: Request) -> Response:
        body = await _body(request)
        with store.lock:
            at = body.get("at")
            real = store.now() - store.clock.offset
            if not isinstance(at, int) or isinstance(at, bool) or at > real or store.objects:
                raise StripeError(BAD_START, param="at")
            store.clock.offset = at - real
            return _json({"now": store.now(), "offset": store.clock.offset})

    async def clock(request: Request) -> Response:
        return _json({"now": store.now(), "offset": store.clock.offset})

    async def settle(request: Request) -> Response:
        body = await _body(request)
        with store.lock:
            return _json({"settled": scheduler.settle_now(store, body.get("ids"))})

    async def close_dispute(request: Request) -> Response:
        body = await _body(request)
        with store.lock:
            dispute = disputes.close(store, request.path_params["id"], str(body.get("outcome", "")))
            return _json(dispute)

    async def fail_payout(request: Request) -> Response:
        body = await _body(request)
        code = str(body.get("failure_code", "account_closed"))
        with store.lock:
            return _json(payouts.fail(store, request.path_params["id"], code))

    async def cancel_payout(request: Request) -> Response:
        with store.lock:
            return _json(payouts.cancel(store, request.path_params["id"]))

    async def flush(request: Request) -> Response:
        body = await _body(request)
        flushed = await deliverer.flush(float(body.get("timeout", 30.0)))
        return _json({"flushed": flushed, "pending": deliverer.pending})

    async def attempts(request: Request) -> Response:
        event = request.query_params.get("event")
        log = [a for a in deliverer.attempts if event is None or a["event"] == event]
        return _json({"attempts": log})

    async def options(request: Request) -> Response:
        body = await _body(request)
        try:
            chosen = deliverer.set_options(**body)
        except ValueError as error:
            raise StripeError(str(error)) from None
        return _json(dataclasses.asdict(chosen))

    async def add_endpoint(request: Request) -> Response:
        body = await _body(request)
        url, secret = body.get("url"), body.get("secret")
        if not isinstance(url, str) or not isinstance(secret, str):
            raise StripeError("Pass `url` and `secret` (whsec_...).", param="url")
        with store.lock:
            # The same list object is the deliverer's: both see the new endpoint.
            store.config.webhook_endpoints.append((url, secret))
        return _json({"webhook_endpoints": [u for u, _ in store.config.webhook_endpoints]})

    async def list_cards(request: Request) -> Response:
        return _json(
            {
                "cards": [
                    {
                        "number": m.number,
                        "label": m.label,
                        "outcome": m.outcome.value,
                        "type": m.type,
                    }
                    for m in cards.TEST_METHODS
                ]
            }
        )

    prefix = "/_emulator"
    table: list[tuple[str, str, Endpoint]] = [
        ("POST", "/checkout/sessions/{id}/pay", pay),
        ("POST", "/clock/advance", advance),
        ("GET", "/clock", clock),
        ("POST", "/clock/start", start_clock),
        ("POST", "/payments/settle", settle),
        ("POST", "/disputes/{id}/close", close_dispute),
        ("POST", "/payouts/{id}/fail", fail_payout),
        ("POST", "/payouts/{id}/cancel", cancel_payout),
        ("POST", "/deliveries/flush", flush),
        ("GET", "/deliveries", attempts),
        ("POST", "/deliveries/options", options),
        ("POST", "/webhook_endpoints", add_endpoint),
        ("GET", "/cards", list_cards),
    ]
    return [
        Route(prefix + path, _errors_as_json(handler), methods=[method])
        for method, path, handler in table
    ]


def _errors_as_json(handler: Endpoint) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except StripeError as error:
            return JSONResponse(error.body(), error.status)

    return wrapped


async def _body(request: Request) -> Json:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise StripeError(BAD_JSON) from None
    if not isinstance(body, dict):
        raise StripeError(BAD_JSON)
    return body


def _default_email(store: Store, session: Json) -> str:
    if session["customer_email"]:
        return str(session["customer_email"])
    customer = store.objects.get(session["customer"] or "")
    if customer is not None and customer.get("email"):
        return str(customer["email"])
    return DEFAULT_EMAIL


def _json(body: Any) -> Response:
    # Serialised at once: the objects are live state that the next request may change.
    return Response(json.dumps(body), media_type="application/json")
