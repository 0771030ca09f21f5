"""The one place that decides whether a body came from Stripe.

The signature is checked on the raw bytes, before anything parses them: Stripe signs
`f"{t}.{body}"` with the endpoint secret (https://docs.stripe.com/webhooks#verify-events),
and an event older than the tolerance is refused so a captured delivery cannot be replayed.
So is one dated further ahead than the tolerance: the stripe library checks only the past,
and a signature dated next week would be a replayable delivery for a week.
"""

from __future__ import annotations

import time

import stripe

from webhooks.events import Event, NotAnEvent, parse_event

TOLERANCE_SECONDS = 300
MISSING_SIGNATURE = "missing Stripe-Signature header"
BAD_SIGNATURE = "invalid signature"
STALE_SIGNATURE = "signature timestamp outside the tolerance"
NOT_UTF8 = "body is not UTF-8"
TOO_DEEP = "body is nested too deeply"


class Refused(ValueError):
    """Not a verified Stripe event: answer 400 with `reason`, store nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify(body: bytes, header: str | None, secret: str) -> tuple[Event, str]:
    """The verified event and the body as text (what the inbox stores)."""
    if not header:
        raise Refused(MISSING_SIGNATURE)
    try:
        payload = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(NOT_UTF8) from None
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        stale = "tolerance" in str(error)
        raise Refused(STALE_SIGNATURE if stale else BAD_SIGNATURE) from None
    if _signed_at(header) > time.time() + TOLERANCE_SECONDS:
        raise Refused(STALE_SIGNATURE)
    try:
        return parse_event(payload), payload
    except NotAnEvent as error:
        raise Refused(str(error)) from None
    except RecursionError:
        # Nested deeper than Python's recursion limit: signed, but no event Stripe sends.
        raise Refused(TOO_DEEP) from None


def _signed_at(header: str) -> int:
    """The header's `t=`, read as the stripe library reads it (which has just accepted it)."""
    parts = [item.split("=", 2) for item in header.split(",")]
    return int(next(part[1] for part in parts if part[0] == "t"))
