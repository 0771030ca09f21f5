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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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
