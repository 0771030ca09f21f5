"""The metadata we put on Stripe objects, and read back from webhooks.

Checkout puts the same keys on the Session, on `payment_intent_data.metadata` (one-off) and on
`subscription_data.metadata` (membership), because each Stripe object keeps only its own
metadata: a PaymentIntent never sees the Session's (https://docs.stripe.com/metadata).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHECKOUT_ID = "checkout_id"
FREQUENCY = "frequency"
SOURCE = "source"


def checkout_metadata(*, checkout_id: str, frequency: str, source: str | None) -> dict[str, str]:
    metadata = {CHECKOUT_ID: checkout_id, FREQUENCY: frequency}
    if source:
        metadata[SOURCE] = source
    return metadata


def is_our_one_off(metadata: Mapping[str, Any] | None) -> bool:
    """A PaymentIntent we booked as a one-off gift; invoice PaymentIntents carry no metadata."""
    if not metadata:
        return False
    return metadata.get(FREQUENCY) == "one_off" and CHECKOUT_ID in metadata
