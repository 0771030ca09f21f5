"""A Stripe webhook delivery as Stripe sends it: signed JSON for POST /webhooks/stripe."""

from __future__ import annotations

import json
from typing import Any

import stripe

WEBHOOK_PATH = "/webhooks/stripe"


def signed(event: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """The body Stripe would send for `event`, and headers with a valid signature."""
    body = json.dumps(event, indent=2)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": header,
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    return body.encode("utf-8"), headers
