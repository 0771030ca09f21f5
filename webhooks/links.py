"""What other stored events say about an invoice or a PaymentIntent.

Events arrive in any order. `invoice_payment.paid` (the invoice's PaymentIntent) may come
before `invoice.paid` (the money), and `payment_intent.succeeded` (the charge) before either,
when there is no payment row yet to write them on. Nothing is lost: every event is in the
inbox, so the event that creates the payment looks its links up there.

The search is a substring match on the stored JSON, confirmed by parsing, among events of
one type created within `WINDOW_SECONDS` of the event asking: an invoice's payment events are
created within seconds of each other, and Stripe stops retrying a delivery after three days
(https://docs.stripe.com/webhooks#retries). No column of its own is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import EventStatus, StripeEvent
from webhooks.events import Json, object_id

WINDOW_SECONDS = 30 * 86400


async def invoice_payment_of(
    session: AsyncSession, invoice: str, *, around: int
) -> tuple[str | None, str | None]:
    """(PaymentIntent, charge) of the invoice's successful payment, if its event is stored."""
    found = await _stored_object(
        session,
        "invoice_payment.paid",
        invoice,
        lambda o: object_id(o.get("invoice")) == invoice,
        around=around,
    )
    payment = (found or {}).get("payment") or {}
    return object_id(payment.get("payment_intent")), object_id(payment.get("charge"))


async def charge_of(session: AsyncSession, payment_intent: str, *, around: int) -> str | None:
    """The charge of a succeeded PaymentIntent, if its event is stored."""
    found = await _stored_object(
        session,
        "payment_intent.succeeded",
        payment_intent,
        lambda o: o.get("id") == payment_intent,
        around=around,
    )
    return object_id((found or {}).get("latest_charge"))


async def _stored_object(
    session: AsyncSession,
    event_type: str,
    stripe_id: str,
    matches: Callable[[Json], bool],
    *,
    around: int,
) -> Json | None:
    rows = await session.exec(
        select(StripeEvent.payload).where(
            StripeEvent.type == event_type,
            col(StripeEvent.created).between(around - WINDOW_SECONDS, around + WINDOW_SECONDS),
            StripeEvent.status != EventStatus.ignored,
            col(StripeEvent.payload).contains(f'"{stripe_id}"', autoescape=True),
        )
    )
    for payload in rows:
        obj = json.loads(payload).get("data", {}).get("object")
        if isinstance(obj, dict) and matches(obj):
            return obj
    return None
