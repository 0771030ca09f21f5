"""The card's brand and last four reach the payment, whichever event comes first."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

import stripe_events as se
from donations.db import Database
from donations.models import ChargeCard, Payment
from stripe_events.objects import charge as charge_object
from stripe_events.versions import render
from webhooks.inbox import EventOutcome, receive_dict

pytestmark = pytest.mark.asyncio
T = se.START
Json = dict[str, Any]


def charge_succeeded(
    charge: str, payment_intent: str, amount: int, *, brand: str = "mastercard", last4: str = "4444"
) -> Json:
    obj = charge_object(
        id=charge, payment_intent=payment_intent, amount=amount, currency="eur", created=T,
        customer=None,
    )  # fmt: skip
    obj["payment_method_details"] = {"type": "card", "card": {"brand": brand, "last4": last4}}
    return render(se.event("charge.succeeded", obj, created=T))


async def deliver(db: Database, events: list[Json]) -> list[EventOutcome]:
    return [(await receive_dict(db, event)).outcome for event in events]


async def cards_of_payments(db: Database) -> list[tuple[str | None, str | None]]:
    async with db.session() as session:
        rows = await session.exec(select(Payment.card_brand, Payment.card_last4))
        return list(rows.all())


@pytest.mark.parametrize("charge_first", [True, False])
async def test_a_gifts_card_reaches_its_payment_in_either_order(
    db: Database, charge_first: bool
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "ana@example.org")
    card = charge_succeeded(gift.charge_id, gift.payment_intent_id, 2500)
    events = [card, *gift.events] if charge_first else [*gift.events, card]
    outcomes = await deliver(db, [*events, card])
    assert outcomes[-1] is EventOutcome.duplicate
    assert await cards_of_payments(db) == [("mastercard", "4444")]


@pytest.mark.parametrize("charge_first", [True, False])
async def test_a_membership_invoices_card_reaches_its_payment(
    db: Database, charge_first: bool
) -> None:
    member = se.membership_signup(1000, "eur", "month", T, "bo@example.org")
    first = member.payments[0]
    card = charge_succeeded(first.charge_id, first.payment_intent_id, 1000, brand="amex",
                            last4="0005")  # fmt: skip
    events = [card, *member.events] if charge_first else [*member.events, card]
    await deliver(db, events)
    assert await cards_of_payments(db) == [("amex", "0005")]


async def test_a_charge_without_a_card_is_stored_with_a_note(db: Database) -> None:
    event = charge_succeeded("ch_sepa", "pi_sepa", 900)
    event["data"]["object"]["payment_method_details"] = {"type": "sepa_debit", "sepa_debit": {}}
    assert await deliver(db, [event]) == [EventOutcome.ignored]
    async with db.session() as session:
        assert (await session.exec(select(ChargeCard))).all() == []
