"""The thanks page tells where the money is: paid, being confirmed, processing (a bank
debit), or failed; and what part of it covers the fee."""

from __future__ import annotations

import httpx
import pytest

import stripe_events as se
from donations.db import Database
from donations.models import Checkout, CheckoutStatus
from tests.webhooks.test_handlers import T, deliver


@pytest.mark.asyncio
async def test_a_bank_debit_is_processing_until_its_money_arrives(
    db: Database, client: httpx.AsyncClient
) -> None:
    gift = se.one_off_gift(2500, "eur", T, "dee@example.org", delayed=True)
    completed = [e for e in gift.events if e["type"] == "checkout.session.completed"]
    await deliver(db, completed)
    page = await client.get(f"/contribute/thanks?session_id={gift.session_id}")
    assert page.status_code == 200
    assert "<strong>Your payment is processing.</strong> Bank debits take" in page.text
    assert 'http-equiv="refresh"' not in page.text
    await deliver(db, [e for e in gift.events if e not in completed])
    paid = await client.get(f"/contribute/thanks?session_id={gift.session_id}")
    assert '<p id="payment-state" class="state paid">A receipt is on its way' in paid.text
    assert 'id="make-monthly"' in paid.text  # a paid one-off gift is asked to go monthly
    assert "Your payment is processing" not in paid.text


@pytest.mark.asyncio
async def test_a_failed_debit_says_nothing_was_taken(
    db: Database, client: httpx.AsyncClient
) -> None:
    gift = se.failed_delayed_gift(2500, "eur", T, "eve@example.org")
    await deliver(db, gift.events)
    page = await client.get(f"/contribute/thanks?session_id={gift.session_id}")
    assert (
        "<strong>Your bank did not complete the payment</strong>, so nothing was taken."
        in page.text
    )
    assert "Make it monthly?" not in page.text


@pytest.mark.asyncio
async def test_back_before_the_webhook_the_page_confirms_and_refreshes(
    db: Database, client: httpx.AsyncClient
) -> None:
    async with db.session() as session:
        session.add(
            Checkout(
                id="chk_waiting",
                stripe_session_id="cs_test_waiting",
                amount=1041,
                fee_covered=41,
                currency="eur",
                frequency="monthly",
                status=CheckoutStatus.open,
            )
        )
        await session.commit()
    page = await client.get("/contribute/thanks?session_id=cs_test_waiting")
    assert '<meta http-equiv="refresh" content="3">' in page.text
    assert "We are confirming your payment." in page.text
    assert "You are giving <strong>€10.41 every month</strong>." in page.text
    assert "€0.41 of it covers the card fee" in page.text
