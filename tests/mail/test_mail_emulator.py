"""Through the real server and the emulator: a monthly reader's receipts arrive at a real SMTP
server, once each however often Stripe repeats itself; a declined renewal sends one note
whose link opens Stripe's billing portal on the card-update page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from donations.app import create_app
from donations.mail.worker import POLL_SECONDS
from donations.settings import Settings
from donations.stripe_api import open_stripe_client
from tests.support.servers import free_port, serve_in_thread
from tests.support.smtp import Mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DAY = 86400


@pytest.fixture
def site(database_url: str, smtp: Mailbox) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CURRENCIES=["eur"],
        DEFAULT_CURRENCY="eur",
        SMTP_URL=smtp.url,
        MAIL_SETTLE_SECONDS=0,
        NEWSROOM_NAME="The Valley Ledger",
        NEWSROOM_ADDRESS="1 Mill Street, Valley Town",
        RECEIPT_TAX_WORDING="No goods or services were provided in exchange for this gift.",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


async def control(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    response = await http.post("/stripe-emulator/_emulator" + path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def join_monthly(
    client: stripe.StripeClient, http: httpx.AsyncClient, amount: int, email: str, card: str
) -> None:
    price: dict[str, Any] = {"currency": "eur", "unit_amount": amount,
             "recurring": {"interval": "month"},
             "product_data": {"name": "Membership"}}  # fmt: skip
    params: Any = {
        "mode": "subscription",
        "success_url": "http://127.0.0.1/thanks",
        "line_items": [{"quantity": 1, "price_data": price}],
    }
    session = await client.v1.checkout.sessions.create_async(params=params)
    await control(http, f"/checkout/sessions/{session.id}/pay", {"card": card, "email": email})


def text_of(message: Any) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_a_monthly_reader_gets_each_receipt_once_and_a_failed_renewal_one_working_link(
    site: str, smtp: Mailbox
) -> None:
    async with (
        httpx.AsyncClient(base_url=site, timeout=30) as http,
        open_stripe_client(Settings(SITE_URL=site), retries=0) as client,
    ):
        # Every delivery twice: what a retry after a lost answer looks like.
        await control(http, "/deliveries/options", {"duplicate_rate": 1.0, "seed": 1})
        await join_monthly(client, http, 1000, "uma@example.org", "4242424242424242")
        await join_monthly(client, http, 1200, "xan@example.org", "4000000000000341")
        await control(http, "/deliveries/flush", {"timeout": 20})
        smtp.wait_for(4)  # a receipt and a welcome each
        await control(http, "/clock/advance", {"seconds": 31 * DAY})
        await control(http, "/deliveries/flush", {"timeout": 20})
        smtp.wait_for(6)  # uma's renewal receipt, xan's failed-renewal note

        uma = sorted(str(m["Subject"]) for m in smtp.to("uma@example.org"))
        assert uma == [
            "Welcome, member of The Valley Ledger",
            "Your receipt from The Valley Ledger: €10.00",
            "Your receipt from The Valley Ledger: €10.00",
        ]
        receipt = text_of(smtp.to("uma@example.org")[0])
        assert "Paid with: Visa ending in 4242" in receipt
        assert "No goods or services were provided in exchange for this gift." in receipt
        assert "1 Mill Street, Valley Town" in receipt

        xan = [m for m in smtp.to("xan@example.org") if "did not go through" in str(m["Subject"])]
        assert len(xan) == 1
        link = re.search(r"http://\S+/mail/card/\d+\?until=\d+&sig=[A-Za-z0-9_-]+", text_of(xan[0]))
        assert link is not None
        opened = await http.get(link.group(0))
        assert opened.status_code == 303
        portal = await http.get(opened.headers["location"])
        assert portal.status_code == 200
        assert "card" in portal.text.lower()
        # The same link, altered, opens nothing.
        forged = await http.get(link.group(0).replace("/mail/card/", "/mail/card/9"))
        assert forged.status_code == 404

        # Nothing more comes, however long the worker runs: each message was sent once.
        await control(http, "/deliveries/flush", {"timeout": 5})
        await asyncio.sleep(3 * POLL_SECONDS)
    assert len(smtp.messages) == 6
