"""The metadata we put on Stripe objects, and read back from webhooks.

Checkout puts the same keys on the Session, on `payment_intent_data.metadata` (one-off) and on
`subscription_data.metadata` (membership), because each Stripe object keeps only its own
metadata: a PaymentIntent never sees the Session's (https://docs.stripe.com/metadata). A
membership's renewals read them from the invoice's copy of the subscription's metadata, so
every renewal carries the choices its reader made once.

Besides our own keys, the giver's choices and where they came from (`Choices`) are metadata
too: a newsroom that sets the same keys on a Payment Link (say `utm_source`) is booked the
same way as our form. Values read back are trusted no further than Stripe's own limits: an
unknown or malformed value is ignored, never a failed event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

CHECKOUT_ID = "checkout_id"
FREQUENCY = "frequency"
SOURCE = "source"

# https://docs.stripe.com/metadata#data: values of at most 500 characters.
MAX_VALUE_LENGTH = 500
YES = "true"
_TRUTHY = frozenset({"true", "1", "yes", "on"})


class Tribute(StrEnum):
    """A gift in someone's name."""

    honour = "honour"
    memory = "memory"


# The attribution a page carries to Checkout, each a metadata key and a ledger column.
ATTRIBUTION = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "referrer")


@dataclass(frozen=True)
class Choices:
    """What a giver chose beside the amount, and where they came from.

    `fee_covered` is in minor units of the gift's currency: the part of the amount the giver
    added so that Stripe's fee does not come out of the gift (0: they did not)."""

    fee_covered: int = 0
    anonymous: bool = False
    tribute: str | None = None
    tribute_name: str | None = None
    reason: str | None = None
    newsletter: bool = False
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    referrer: str | None = None

    def as_metadata(self) -> dict[str, str]:
        """Only what was chosen: Stripe keeps 50 keys, and an absent key reads as the default."""
        metadata: dict[str, str] = {}
        if self.fee_covered:
            metadata["fee_covered"] = str(self.fee_covered)
        if self.anonymous:
            metadata["anonymous"] = YES
        if self.newsletter:
            metadata["newsletter"] = YES
        for name in ("tribute", "tribute_name", "reason", *ATTRIBUTION):
            value = getattr(self, name)
            if value:
                metadata[name] = value
        return metadata

    def columns(self) -> dict[str, Any]:
        """The ledger's columns of the same names (payment and checkout)."""
        # Every field is a plain value: asdict's deep copy would only cost time.
        return {name: getattr(self, name) for name in CHOICE_NAMES}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Choices:
        if not metadata:
            return cls()
        tribute = _text(metadata.get("tribute"))
        tribute_name = _text(metadata.get("tribute_name"))
        if tribute not in Tribute.__members__ or not tribute_name:
            tribute = tribute_name = None
        texts = {name: _text(metadata.get(name)) for name in ("reason", *ATTRIBUTION)}
        return cls(
            fee_covered=_count(metadata.get("fee_covered")),
            anonymous=_flag(metadata.get("anonymous")),
            tribute=tribute,
            tribute_name=tribute_name,
            newsletter=_flag(metadata.get("newsletter")),
            **texts,
        )


CHOICE_NAMES = tuple(field.name for field in fields(Choices))
# Nothing chosen: a gift with none of the options, or a Payment Link that sets no keys.
NO_CHOICES = Choices()


def checkout_metadata(
    *,
    checkout_id: str,
    frequency: str,
    source: str | None,
    choices: Choices | None = None,
) -> dict[str, str]:
    metadata = {CHECKOUT_ID: checkout_id, FREQUENCY: frequency}
    if source:
        metadata[SOURCE] = source
    if choices is not None:
        metadata.update(choices.as_metadata())
    return metadata


def is_our_one_off(metadata: Mapping[str, Any] | None) -> bool:
    """A PaymentIntent we booked as a one-off gift; invoice PaymentIntents carry no metadata."""
    if not metadata:
        return False
    return metadata.get(FREQUENCY) == "one_off" and CHECKOUT_ID in metadata


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip()[:MAX_VALUE_LENGTH] or None


def _flag(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in _TRUTHY


def _count(value: object) -> int:
    # Minor units as Stripe's metadata holds them: digits only; anything else is no fee covered.
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    return 0
