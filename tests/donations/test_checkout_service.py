"""start_checkout's last write: Stripe's answer must not undo what a webhook already wrote."""

from __future__ import annotations

import pytest

from donations.checkout import service as checkout_service
from donations.db import Database
from donations.models import Checkout, CheckoutStatus
from donations.settings import Settings
from tests.support.apps import running_app

# Each row its own session: session ids are unique.
SESSIONS = {"chk_waiting": "cs_test_waiting", "chk_paid_first": "cs_test_raced"}


def _row(checkout_id: str, status: CheckoutStatus) -> Checkout:
    return Checkout(id=checkout_id, amount=1500, currency="eur", frequency="one_off", status=status)


@pytest.mark.asyncio
async def test_noting_the_session_moves_a_waiting_row_but_not_one_a_webhook_completed(
    settings: Settings, db: Database
) -> None:
    async with db.writing_session() as session:
        session.add(_row("chk_waiting", CheckoutStatus.created))
        # checkout.session.completed overtook Stripe's answer to the create call.
        session.add(_row("chk_paid_first", CheckoutStatus.complete))
    async with running_app(settings) as app:
        for checkout_id, session_id in SESSIONS.items():
            await checkout_service._set_status(
                app.state.donations, checkout_id, CheckoutStatus.open, stripe_session_id=session_id
            )
    async with db.session() as session:
        waiting = await session.get(Checkout, "chk_waiting")
        paid_first = await session.get(Checkout, "chk_paid_first")
    assert waiting is not None and paid_first is not None
    assert (waiting.status, waiting.stripe_session_id) == ("open", "cs_test_waiting")
    assert (paid_first.status, paid_first.stripe_session_id) == ("complete", "cs_test_raced")
