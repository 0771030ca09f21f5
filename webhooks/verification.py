"""The one place that decides whether a body came from Stripe.

The signature is checked on the raw bytes, before anything parses them: Stripe signs
`f"{t}.{body}"` with the endpoint secret (https://docs.stripe.com/webhooks#verify-events),
and an event older than the tolerance is refused so a captured delivery cannot be replayed.
"""

from __future__ import annotations

import stripe

from webhooks.events import Event, NotAnEvent, parse_event

TOLERANCE_SECONDS = 300
MISSING_SIGNATURE = "missing Stripe-Signature header"
BAD_SIGNATURE = "invalid signature"
STALE_SIGNATURE = "signature timestamp outside the tolerance"
NOT_UTF8 = "body is not UTF-8"


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
    try:
        return parse_event(payload), payload
    except NotAnEvent as error:
        raise Refused(str(error)) from None
