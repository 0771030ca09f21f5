"""Deliver events the way Stripe does: signed JSON POSTed to /webhooks/stripe.

WEBHOOK_PATH                                   "/webhooks/stripe"
signed(event, secret, timestamp=None)          -> (body bytes, headers)
await deliver(client, event, secret)           -> httpx.Response
await deliver_all(client, events, secret, concurrency=1) -> list[httpx.Response]
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx
import stripe

WEBHOOK_PATH = "/webhooks/stripe"


def signed(
    event: dict[str, Any], secret: str, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body Stripe would send for `event`, and headers with a valid signature."""
    body = json.dumps(event, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": header,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    return body.encode("utf-8"), headers


async def deliver(client: httpx.AsyncClient, event: dict[str, Any], secret: str) -> httpx.Response:
    """POST one signed event to the client's base URL."""
    body, headers = signed(event, secret)
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def deliver_all(
    client: httpx.AsyncClient,
    events: Sequence[dict[str, Any]],
    secret: str,
    *,
    concurrency: int = 1,
) -> list[httpx.Response]:
    """Deliver `events` in order with at most `concurrency` requests in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one(event: dict[str, Any]) -> httpx.Response:
        async with gate:
            return await deliver(client, event, secret)

    return list(await asyncio.gather(*(one(event) for event in events)))
