"""Which Stripe object tells a payment's fee, and a payment nothing was charged for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import stripe_events as se
from donations.db import Database
from donations.fees import NO_CHARGE_AFTER, Fee, Lacking, no_charge_fee, payments_lacking_fees
from webhooks.inbox import receive_dict

PAID = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_payment_nothing_was_charged_for_has_a_fee_of_zero_once_its_events_had_time() -> None:
    nothing = Lacking(payment_id=1, currency="eur", paid_at=PAID)
    assert no_charge_fee(nothing, PAID + NO_CHARGE_AFTER - timedelta(seconds=1)) is None
    assert no_charge_fee(nothing, PAID + NO_CHARGE_AFTER) == Fee(amount=0, currency="eur")
    charged = Lacking(payment_id=2, currency="eur", paid_at=PAID, charges=["ch_1"])
    assert no_charge_fee(charged, PAID + 10 * NO_CHARGE_AFTER) is None


@pytest.mark.asyncio
async def test_an_invoice_paid_by_two_payment_intents_is_looked_up_by_both(db: Database) -> None:
    member = se.membership_signup(2000, "eur", "month", se.START, "ana@example.org")
    renewal = se.membership_renewal(member, se.START + 30 * se.DAY, parts=2)
    assert isinstance(renewal, se.MembershipPayment)
    for event in member.events + renewal.events:
        await receive_dict(db, event)
    async with db.session() as session:
        lacking = {
            payment.payment_intents[0]: payment for payment in await payments_lacking_fees(session)
        }
    first = member.payments[0]
    assert lacking[first.payment_intent_id].payment_intents == [first.payment_intent_id]
    intents = sorted(intent for intent, _, _ in renewal.parts)
    charges = sorted(charge for _, charge, _ in renewal.parts)
    split = lacking[intents[0]]
    assert (split.payment_intents, split.charges, split.currency) == (intents, charges, "eur")
