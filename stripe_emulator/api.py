"""The /v1 routes: Stripe's API, as much of it as this project uses.

Every request goes through `_handle`, which does what Stripe's edge does, in order:
Bearer (or Basic) auth with any sk_test_/rk_test_ key, else 401; form decoding (forms.py);
idempotency (same key and params replay the first response with `Idempotent-Replayed: true`;
same key, other params: 400 idempotency_error); type-checking against the stripe package's
TypedDict for the endpoint (params.py); the handler, under the store lock; `expand[]`.
https://docs.stripe.com/api/idempotent_requests: validation failures are not stored for
replay, errors from a request that started executing are.

ENDPOINTS is the whole table: Checkout Sessions (create, retrieve, expire, line items),
billing portal sessions, events, PaymentIntents, charges, refunds, disputes, customers
(retrieve, update, payment methods), PaymentMethods (retrieve, attach), SetupIntents,
subscriptions (list, retrieve, update, cancel), invoices, invoice payments, the balance,
balance transactions (list, retrieve) and payouts (list, retrieve, cancel).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe.params as p
import stripe.params.billing_portal as bp
import stripe.params.checkout as co
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stripe_emulator import (
    balance,
    billing,
    changes,
    checkout,
    customers,
    forms,
    params,
    payouts,
    portal,
    queries,
    refunds,
    shapes,
)
from stripe_emulator.errors import (
    IDEMPOTENCY_MISMATCH,
    INVALID_API_KEY,
    NO_API_KEY,
    UNRECOGNIZED_URL,
    StripeError,
    missing_param,
)
from stripe_emulator.state import Json, Replay, Store

Handler = Callable[[Store, Json, dict[str, str]], Json]

_KEY_PREFIXES = ("sk_test_", "rk_test_")
# Replays are kept for 24 h by Stripe; here, for the newest this many keys.
_MAX_IDEMPOTENCY_KEYS = 50_000


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    params_type: Any
    handler: Handler


def _retrieve(object_type: str, param: str = "id") -> Handler:
    def handler(store: Store, _: Json, path: dict[str, str]) -> Json:
        return store.get(path["id"], object_type, param=param)

    return handler


def _invoice_payments(store: Store, query: Json, _: dict[str, str]) -> Json:
    filters = {k: query[k] for k in ("invoice", "status") if k in query}
    found = sorted(store.find("invoice_payment", **filters), key=lambda o: -o["created"])
    payment = query.get("payment")
    if payment is not None:
        found = [o for o in found if all(o["payment"].get(k) == v for k, v in payment.items())]
    return queries.page(found, "/v1/invoice_payments", query, kind="invoice_payment")


def _line_items(store: Store, query: Json, path: dict[str, str]) -> Json:
    items = checkout.line_items(store, path["id"])
    return queries.page(items, f"/v1/checkout/sessions/{path['id']}/line_items", query)


def _customer_methods(store: Store, query: Json, path: dict[str, str]) -> Json:
    found = customers.payment_methods(store, path["id"])
    if "type" in query:
        found = [pm for pm in found if pm["type"] == query["type"]]
    url = f"/v1/customers/{path['id']}/payment_methods"
    return queries.page(found, url, query, kind="payment_method")


def _attach(store: Store, body: Json, path: dict[str, str]) -> Json:
    if "customer" not in body:
        raise missing_param("customer")
    return customers.attach(store, path["id"], body["customer"])


def _cancel_subscription(store: Store, body: Json, path: dict[str, str]) -> Json:
    return billing.cancel_now(store, path["id"], body.get("cancellation_details", {}))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/v1/checkout/sessions",
        co.SessionCreateParams,
        lambda s, b, _: checkout.create(s, b),
    ),
    Endpoint(
        "GET",
        "/v1/checkout/sessions/{id}",
        co.SessionRetrieveParams,
        _retrieve("checkout.session", "session"),
    ),
    Endpoint(
        "POST",
        "/v1/checkout/sessions/{id}/expire",
        co.SessionExpireParams,
        lambda s, _, path: checkout.expire(s, path["id"]),
    ),
    Endpoint(
        "GET", "/v1/checkout/sessions/{id}/line_items", co.SessionLineItemListParams, _line_items
    ),
    Endpoint(
        "POST",
        "/v1/billing_portal/sessions",
        bp.SessionCreateParams,
        lambda s, b, _: portal.create(s, b),
    ),
    Endpoint("GET", "/v1/events", p.EventListParams, lambda s, q, _: queries.list_events(s, q)),
    Endpoint("GET", "/v1/events/{id}", p.EventRetrieveParams, _retrieve("event")),
    Endpoint(
        "GET",
        "/v1/payment_intents/{id}",
        p.PaymentIntentRetrieveParams,
        _retrieve("payment_intent", "intent"),
    ),
    Endpoint("GET", "/v1/charges/{id}", p.ChargeRetrieveParams, _retrieve("charge", "charge")),
    Endpoint("GET", "/v1/balance", p.BalanceRetrieveParams, lambda s, _, __: balance.summary(s)),
    Endpoint(
        "GET",
        "/v1/balance_transactions",
        p.BalanceTransactionListParams,
        lambda s, q, _: queries.list_balance_transactions(s, q),
    ),
    Endpoint(
        "GET",
        "/v1/balance_transactions/{id}",
        p.BalanceTransactionRetrieveParams,
        _retrieve("balance_transaction"),
    ),
    Endpoint("GET", "/v1/payouts", p.PayoutListParams, lambda s, q, _: queries.list_payouts(s, q)),
    Endpoint("GET", "/v1/payouts/{id}", p.PayoutRetrieveParams, _retrieve("payout", "payout")),
    Endpoint(
        "POST",
        "/v1/payouts/{id}/cancel",
        p.PayoutCancelParams,
        lambda s, _, path: payouts.cancel_through_api(s, path["id"]),
    ),
    Endpoint(
        "GET", "/v1/customers/{id}", p.CustomerRetrieveParams, _retrieve("customer", "customer")
    ),
    Endpoint(
        "POST",
        "/v1/customers/{id}",
        p.CustomerUpdateParams,
        lambda s, b, path: customers.update(s, path["id"], b),
    ),
    Endpoint(
        "GET",
        "/v1/customers/{id}/payment_methods",
        p.CustomerPaymentMethodListParams,
        _customer_methods,
    ),
    Endpoint(
        "GET",
        "/v1/payment_methods/{id}",
        p.PaymentMethodRetrieveParams,
        _retrieve("payment_method", "payment_method"),
    ),
    Endpoint("POST", "/v1/payment_methods/{id}/attach", p.PaymentMethodAttachParams, _attach),
    Endpoint(
        "GET",
        "/v1/setup_intents/{id}",
        p.SetupIntentRetrieveParams,
        _retrieve("setup_intent", "intent"),
    ),
    Endpoint("GET", "/v1/invoices/{id}", p.InvoiceRetrieveParams, _retrieve("invoice", "invoice")),
    Endpoint("GET", "/v1/invoice_payments", p.InvoicePaymentListParams, _invoice_payments),
    Endpoint(
        "GET",
        "/v1/invoice_payments/{id}",
        p.InvoicePaymentRetrieveParams,
        _retrieve("invoice_payment"),
    ),
    Endpoint("POST", "/v1/refunds", p.RefundCreateParams, lambda s, b, _: refunds.create(s, b)),
    Endpoint("GET", "/v1/refunds/{id}", p.RefundRetrieveParams, _retrieve("refund", "refund")),
    Endpoint("GET", "/v1/disputes/{id}", p.DisputeRetrieveParams, _retrieve("dispute", "dispute")),
    Endpoint(
        "GET",
        "/v1/subscriptions/{id}",
        p.SubscriptionRetrieveParams,
        _retrieve("subscription", "subscription_exposed_id"),
    ),
    Endpoint(
        "GET",
        "/v1/subscriptions",
        p.SubscriptionListParams,
        lambda s, q, _: queries.list_subscriptions(s, q),
    ),
    Endpoint(
        "POST",
        "/v1/subscriptions/{id}",
        p.SubscriptionUpdateParams,
        lambda s, b, path: changes.update(s, path["id"], b),
    ),
    Endpoint("DELETE", "/v1/subscriptions/{id}", p.SubscriptionCancelParams, _cancel_subscription),
)


def routes(store: Store) -> list[Route]:
    def endpoint_route(endpoint: Endpoint) -> Route:
        async def handle(request: Request) -> Response:
            return await _handle(store, endpoint, request)

        return Route(endpoint.path, handle, methods=[endpoint.method])

    async def unrecognized(request: Request) -> Response:
        error = StripeError(
            UNRECOGNIZED_URL.format(method=request.method, path=request.url.path),
            status=404,
        )
        return _json(error.status, error.body())

    return [
        *(endpoint_route(e) for e in ENDPOINTS),
        Route("/v1/{rest:path}", unrecognized, methods=["GET", "POST", "DELETE"]),
    ]


async def _handle(store: Store, endpoint: Endpoint, request: Request) -> Response:
    try:
        api_key = _authenticate(request)
        raw = (await request.body()).decode() if endpoint.method == "POST" else request.url.query
        form = forms.decode(urllib.parse.parse_qsl(raw, keep_blank_values=True))
    except StripeError as error:
        return _json(error.status, error.body())
    key = request.headers.get("Idempotency-Key") if endpoint.method == "POST" else None
    path_params = {k: str(v) for k, v in request.path_params.items()}
    with store.lock:
        if key is not None:
            replay = store.idempotency.get((api_key, key))
            if replay is not None:
                return _replay(replay, endpoint, request.url.path, form, key)
        request_id = shapes.new_id("req")
        try:
            checked = params.validate(form, endpoint.params_type)
            store.request = {"id": request_id, "idempotency_key": key}
            try:
                body = endpoint.handler(store, checked, path_params)
            finally:
                store.request = None
            if checked.get("expand"):
                body = queries.expand(store, body, checked["expand"])
            status = 200
        except StripeError as error:
            if not error.replayable:
                return _json(error.status, error.body(), request_id)
            status, body = error.status, error.body()
        if key is not None:
            _remember(
                store,
                (api_key, key),
                Replay(endpoint.method, request.url.path, form, status, body, request_id),
            )
        # Serialise now, under the lock: the stored object may change right after.
        return _json(status, body, request_id)


def _replay(replay: Replay, endpoint: Endpoint, path: str, form: Json, key: str) -> Response:
    if (replay.method, replay.path, replay.params) != (endpoint.method, path, form):
        error = StripeError(IDEMPOTENCY_MISMATCH.format(key=key), type="idempotency_error")
        return _json(error.status, error.body())
    response = _json(replay.status, replay.body, replay.request_id)
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Original-Request"] = replay.request_id
    return response


def _remember(store: Store, key: tuple[str, str], replay: Replay) -> None:
    store.idempotency[key] = replay
    if len(store.idempotency) > _MAX_IDEMPOTENCY_KEYS:
        del store.idempotency[next(iter(store.idempotency))]


def _authenticate(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        # curl -u sk_test_...: the key is the user name, the password empty.
        credentials = base64.b64decode(credentials).decode(errors="replace").partition(":")[0]
    elif scheme.lower() != "bearer":
        credentials = ""
    credentials = credentials.strip()
    if not credentials:
        raise StripeError(NO_API_KEY, status=401, replayable=False)
    if not credentials.startswith(_KEY_PREFIXES):
        masked = credentials[:8] + "*" * max(len(credentials) - 12, 4) + credentials[-4:]
        raise StripeError(INVALID_API_KEY.format(masked=masked), status=401, replayable=False)
    return credentials


def _json(status: int, body: Json, request_id: str | None = None) -> Response:
    headers = {
        "Request-Id": request_id or shapes.new_id("req"),
        "Stripe-Version": shapes.API_VERSION,
    }
    return Response(json.dumps(body), status, headers, media_type="application/json")


__all__ = ["ENDPOINTS", "routes"]
