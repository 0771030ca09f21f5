"""Stripe's side played by the emulator, mounted in the real app: signed deliveries,
shuffled and duplicated, of gifts, a membership and its renewal, a refund and a dispute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from donations.app import create_app
from donations.db import Database
from donations.models import Dispute, Refund
from donations.settings import Settings
from donations.stripe_api import open_stripe_client
from stripe_events import CurrencyTotals
from tests.support.servers import free_port, serve_in_thread
from tests.webhooks.ledger_dump import count, totals

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DAY = 86400


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CURRENCIES=["eur"],
        DEFAULT_CURRENCY="eur",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


class Stripe:
    """The emulator, through the stripe library and its control endpoints."""

    def __init__(self, client: stripe.StripeClient, http: httpx.AsyncClient) -> None:
        self.client = client
        self.http = http

    async def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post("/stripe-emulator/_emulator" + path, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def contribute(self, amount: int, email: str, card: str, **params: Any) -> str | None:
        """A paid Checkout Session's PaymentIntent (None for a membership)."""
        price: dict[str, Any] = {"currency": "eur", "unit_amount": amount,
                                 "product_data": {"name": "Contribution"}}  # fmt: skip
        if params.get("mode") == "subscription":
            price["recurring"] = {"interval": "month"}
        session = await self.client.v1.checkout.sessions.create_async(
            params={
                "mode": "payment",
                "success_url": "http://127.0.0.1/thanks",
                "cancel_url": "http://127.0.0.1/contribute",
                "line_items": [{"quantity": 1, "price_data": price}],
                **params,
            }
        )
        await self.control(f"/checkout/sessions/{session.id}/pay", {"card": card, "email": email})
        paid = await self.client.v1.checkout.sessions.retrieve_async(session.id)
        return None if paid.payment_intent is None else str(paid.payment_intent)


async def test_emulated_stripe_deliveries_shuffled_and_duplicated_build_the_ledger(
    site: str, db: Database
) -> None:
    async with (
        httpx.AsyncClient(base_url=site, timeout=30) as http,
        open_stripe_client(Settings(SITE_URL=site), retries=0) as client,
    ):
        emulated = Stripe(client, http)
        await emulated.control(
            "/deliveries/options", {"shuffle": True, "duplicate_rate": 0.5, "seed": 3}
        )
        metadata = {"checkout_id": "chk_uma", "frequency": "one_off"}
        gift = await emulated.contribute(
            2000, "Uma@example.org", "4242424242424242",
            metadata=metadata, payment_intent_data={"metadata": metadata},
        )  # fmt: skip
        assert gift is not None and gift.startswith("pi_"), gift
        await emulated.contribute(1500, "vic@example.org", "4000000000000259")
        await emulated.contribute(1000, "uma@example.org", "4242424242424242", mode="subscription")
        # SEPA: completes unpaid, settles three days later (on the clock's advance).
        await emulated.contribute(3000, "wes@example.org", "DE89370400440532013000")
        # Paid at signup, declined at renewal: past due.
        await emulated.contribute(1200, "xan@example.org", "4000000000000341", mode="subscription")
        await emulated.client.v1.refunds.create_async(
            params={"payment_intent": gift, "amount": 500}
        )
        await emulated.control("/clock/advance", {"seconds": 31 * DAY})
        assert (await emulated.control("/deliveries/flush", {"timeout": 20}))["flushed"]

    ledger = await totals(db)
    # One-off: 20.00 + 15.00 + 30.00 (SEPA); memberships: 10.00 twice (signup, renewal) and
    # 12.00 once (its renewal declined). 5.00 refunded; the 15.00 gift disputed (open: counts).
    assert ledger.by_currency == {
        "eur": CurrencyTotals(
            gross=9700, refunded=500, disputed=1500, payments=6,
            one_off_count=3, one_off_amount=6500, recurring_count=3, recurring_amount=3200,
        )
    }  # fmt: skip
    assert (ledger.supporters, ledger.active_members, ledger.past_due_members) == (4, 1, 1)
    assert (await count(db, Refund), await count(db, Dispute)) == (1, 1)
