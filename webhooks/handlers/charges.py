"""Charges: `charge.succeeded` tells the card a payment was made with.

The money of a charge is booked from its PaymentIntent, Checkout Session or invoice; this
event only adds the card's brand and last four (webhooks/cards.py), kept by charge id until
the payment it belongs to is booked, whichever comes first.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from webhooks import cards
from webhooks.events import Event
from webhooks.registry import Note, handles

NO_CARD = "charge {id} was not paid by card: no card to show on a receipt"


@handles("charge.succeeded")
async def on_charge_succeeded(*, session: AsyncSession, event: Event) -> Note:
    charge = event.object
    if not await cards.record_charge(session, charge):
        return NO_CARD.format(id=charge.get("id"))
    return None
