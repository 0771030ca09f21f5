"""The one place that builds the Stripe client.

Every Stripe call in the product goes through `make_stripe_client`, so the key, the API base
(real Stripe, stripe-mock, or the bundled emulator), the retry policy and the timeout are set
once. The library waits 80 s for an answer by default; a reader does not. Each attempt gets
STRIPE_TIMEOUT, so a Stripe that stops answering costs at most 3 attempts and the library's
two pauses between them (0.5-1 s, then 0.5-2 s): 26 s with the default 8 s, inside the
request's own deadline (REQUEST_TIMEOUT, 30 s), so the reader hears "try again in a minute"
from the checkout, not a bare timeout.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import stripe

from donations.settings import Settings

EMULATOR_PATH = "/stripe-emulator"
# Any sk_test_ key is accepted by the emulator; real Stripe would refuse it.
EMULATOR_KEY = "sk_test_emulator"
# The emulator signs its webhooks with this secret unless STRIPE_WEBHOOK_SECRET is set.
EMULATOR_WEBHOOK_SECRET = "whsec_local_emulator"
# Stripe retries idempotent requests safely; the library's default is no retry at all.
NETWORK_RETRIES = 2


def api_base(settings: Settings) -> str | None:
    if settings.STRIPE_API_BASE:
        return settings.STRIPE_API_BASE.rstrip("/")
    if settings.uses_emulator:
        return settings.SITE_URL + EMULATOR_PATH
    return None


def webhook_secret(settings: Settings) -> str:
    if settings.STRIPE_WEBHOOK_SECRET:
        return settings.STRIPE_WEBHOOK_SECRET
    if settings.uses_emulator:
        return EMULATOR_WEBHOOK_SECRET
    raise RuntimeError("STRIPE_WEBHOOK_SECRET is not set")


def stripe_transport(settings: Settings) -> stripe.HTTPClient:
    """The connection pool the Stripe client sends through: aiohttp, which the stripe library
    supports for async requests (every call in the product is async), and which answers
    sooner than the library's default HTTPX client (scripts/bench --only checkout shows by how
    much). Each attempt, from connecting to the last byte of the answer, takes at most
    STRIPE_TIMEOUT."""
    return stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=settings.STRIPE_TIMEOUT))


def make_stripe_client(
    settings: Settings,
    *,
    http_client: stripe.HTTPClient,
    retries: int = NETWORK_RETRIES,
) -> stripe.StripeClient:
    """The client for `settings`, sending through `http_client` (from `stripe_transport`),
    whose connections the caller closes: the app on shutdown, `open_stripe_client` after."""
    base = api_base(settings)
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY or EMULATOR_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=retries,
        http_client=http_client,
    )


@asynccontextmanager
async def open_stripe_client(
    settings: Settings, *, retries: int = NETWORK_RETRIES
) -> AsyncIterator[stripe.StripeClient]:
    """A client for one command or test, its connections closed after."""
    http = stripe_transport(settings)
    try:
        yield make_stripe_client(settings, http_client=http, retries=retries)
    finally:
        await http.close_async()  # type: ignore[no-untyped-call]


class FormPost:
    """A POST of form parameters to one Stripe v1 path (a Checkout Session create), through
    the client's own HTTP client, retries, telemetry and error interpretation, with what does
    not change between calls worked out once.

    `client.raw_request_async` sends the same request, but rebuilds it on every call: merging
    options, the User-Agent JSON (and a scan of the environment for it), form-encoding every
    parameter, and logfmt lines of the request and of the whole response, formatted whether
    or not the logger is on: ~0.2-0.3 ms of CPU per call on this machine, as much as our
    two writes (bench/PROFILE.md, fifth pass). Here the headers are the library's own for
    this path, asked of it once (with the Idempotency-Key set per call), the form encoding
    is `form_body`'s, and an answer other than 2xx is raised by the library, as
    `raw_request_async` raises it (a StripeError subclass).
    """

    def __init__(self, client: stripe.StripeClient, http: stripe.HTTPClient, path: str) -> None:
        self.client = client
        self.http = http
        requestor = client._requestor
        _, url, headers, _, retries, *_ = requestor._args_for_request_with_retries(
            "post",
            path,
            {},
            {"idempotency_key": "-"},
            base_address="api",
            api_mode="V1",
        )
        self.url: str = url
        self.headers = {name: value for name, value in headers.items() if name != "Idempotency-Key"}
        self.retries: int | None = retries

    async def __call__(self, params: Mapping[str, Any], *, idempotency_key: str) -> Any:
        """Stripe's answer, parsed from JSON."""
        headers = {**self.headers, "Idempotency-Key": idempotency_key}
        body, status, response_headers = await self.http.request_with_retries_async(
            "post",
            self.url,
            headers,
            form_body(params),
            max_network_retries=self.retries,
            _usage=["raw_request", "async"],
        )
        if 200 <= status < 300:
            return json.loads(body)
        self.client._requestor._interpret_response(body, status, response_headers, "V1")
        raise stripe.APIError(f"Stripe answered {status}", http_status=status)


def form_body(params: Mapping[str, Any]) -> str:
    """`params` in Stripe's form encoding, byte for byte as the stripe library sends them:
    nested keys as `a[b][0]`, booleans as true/false, None left out, brackets not escaped
    (tests/donations/test_stripe_form.py compares it with the library's own encoder)."""
    return "&".join(f"{_quoted(key)}={_quoted(value)}" for key, value in _fields(params, ""))


def _fields(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _fields(item, f"{prefix}[{key}]" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _fields(item, f"{prefix}[{index}]")
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif isinstance(value, str | int):
        yield prefix, str(value)
    elif value is not None:
        raise TypeError(f"{prefix}: {type(value).__name__} is not sent to Stripe here")


@lru_cache(maxsize=2048)
def _quoted(text: str) -> str:
    # Keys, URLs and names repeat on every call; quote_plus goes character by character.
    return quote_plus(text).replace("%5B", "[").replace("%5D", "]")
