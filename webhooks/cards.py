"""The card a payment was paid with: its brand and last four, for the reader's receipt.

    from_charge(charge) -> Card | None        what a charge object says of its card
    record(session, charge_id, payment_intent, card)   keep it, and put it on the payment

Stripe puts the card on the charge (`payment_method_details.card.brand` and `.last4`,
https://docs.stripe.com/api/charges/object#charge_object-payment_method_details-card), which
comes in `charge.succeeded`, or expanded inside a PaymentIntent (`latest_charge`, or before
2022-11-15 `charges.data`). That event may come before the payment is booked: the card is
kept by charge id in `charge_card`, and whichever comes second fills the payment's
`card_brand` and `card_last4` (bookings.add_keys runs `FILL_CARD` when a payment learns a
charge or PaymentIntent). Both writes only fill what is still empty: any order, any number
of deliveries, the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import ChargeCard, Payment, PaymentKey
from donations.sql import execute, insert_ignoring_conflicts
from webhooks.events import Json, object_id

MAX_BRAND = 32


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str


def from_charge(charge: object) -> Card | None:
    """The card of an expanded charge; None for an id, a SEPA debit, or no details."""
    if not isinstance(charge, dict):
        return None
    details = charge.get("payment_method_details")
    card = details.get("card") if isinstance(details, dict) else None
    if not isinstance(card, dict):
        return None
    brand, last4 = card.get("brand"), card.get("last4")
    if not isinstance(brand, str) or not isinstance(last4, str):
        return None
    if not brand or len(brand) > MAX_BRAND or len(last4) != 4 or not last4.isdigit():
        return None
    return Card(brand=brand, last4=last4)


def expanded_charges(intent: Json) -> list[Json]:
    """The charges a PaymentIntent carries expanded (`latest_charge`, or `charges.data`)."""
    found = [intent["latest_charge"]] if isinstance(intent.get("latest_charge"), dict) else []
    charges = intent.get("charges")
    if isinstance(charges, dict) and isinstance(charges.get("data"), list):
        found += [charge for charge in charges["data"] if isinstance(charge, dict)]
    return [charge for charge in found if charge.get("status") in (None, "succeeded")]


async def record_expanded(session: AsyncSession, *objects: object) -> None:
    """The cards of whatever charges or PaymentIntents an event carries expanded (ids: none)."""
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        charges = expanded_charges(obj) if obj.get("object") == "payment_intent" else [obj]
        for charge in charges:
            await record_charge(session, charge)


async def record_charge(session: AsyncSession, charge: Json) -> bool:
    """Keep an expanded charge's card; False if it carries none."""
    card = from_charge(charge)
    charge_id = object_id(charge.get("id"))
    if card is None or charge_id is None:
        return False
    await record(session, charge_id, object_id(charge.get("payment_intent")), card)
    return True


async def record(
    session: AsyncSession, charge: str, payment_intent: str | None, card: Card
) -> None:
    row = {"charge": charge, "payment_intent": payment_intent, "brand": card.brand,
           "last4": card.last4}  # fmt: skip
    await insert_ignoring_conflicts(session, ChargeCard, row)
    await execute(session, _FILL_FROM_CHARGE, {"charge": charge, "payment_intent": payment_intent})


# The payment that has this charge or PaymentIntent among its keys, if it lacks a card.
_FILL_FROM_CHARGE = (
    update(Payment)
    .where(
        col(Payment.card_brand).is_(None),
        exists(
            select(col(PaymentKey.key)).where(
                col(PaymentKey.payment_id) == col(Payment.id),
                or_(
                    col(PaymentKey.key) == bindparam("charge"),
                    col(PaymentKey.key) == bindparam("payment_intent"),
                ),
            )
        ),
    )
    .values(
        card_brand=select(col(ChargeCard.brand))
        .where(col(ChargeCard.charge) == bindparam("charge"))
        .scalar_subquery(),
        card_last4=select(col(ChargeCard.last4))
        .where(col(ChargeCard.charge) == bindparam("charge"))
        .scalar_subquery(),
    )
)


def _card_of_keys(column: Any) -> Any:
    # The first (by charge id) card recorded under any of the payment's new keys.
    return (
        select(column)
        .where(
            or_(
                col(ChargeCard.charge).in_(bindparam("keys", expanding=True)),
                col(ChargeCard.payment_intent).in_(bindparam("keys", expanding=True)),
            )
        )
        .order_by(col(ChargeCard.charge))
        .limit(1)
        .scalar_subquery()
    )


# Run by bookings.add_keys with {"payment", "keys"} when a payment learns new keys.
FILL_CARD = (
    update(Payment)
    .where(col(Payment.id) == bindparam("payment"), col(Payment.card_brand).is_(None))
    .values(
        card_brand=_card_of_keys(col(ChargeCard.brand)),
        card_last4=_card_of_keys(col(ChargeCard.last4)),
    )
)
