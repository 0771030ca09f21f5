"""Figures that say what they count, through the emulator: a declined card is a failed
checkout in the funnel; a member who asked to cancel at the period's end is active (and
ending), never cancelled; progress counts the members of the campaign's currency, as its MRR."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from donations.app import create_app
from donations.campaigns import add_campaign, validate_campaign
from donations.db import Database
from donations.models import utcnow
from donations.reports.funnel import funnel_report
from donations.reports.members import members_report
from donations.settings import Settings
from donations.stripe_api import open_stripe_client
from tests.support.cli import in_process
from tests.support.servers import free_port, serve_in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DECLINED = "4000000000000002"
PAYS = "4242424242424242"
EMULATOR = "/stripe-emulator/_emulator"


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CURRENCIES=["eur", "gbp"],
        DEFAULT_CURRENCY="eur",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


async def control(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(EMULATOR + path, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def checkout(http: httpx.AsyncClient, amount: int, currency: str, frequency: str) -> str:
    response = await http.post(
        "/api/checkout-sessions",
        json={"amount": amount, "currency": currency, "frequency": frequency,
              "email": f"{uuid.uuid4().hex[:8]}@example.org"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    session_id: str = response.json()["id"]
    return session_id


async def pay(http: httpx.AsyncClient, session_id: str, card: str) -> str:
    paid = await control(http, f"/checkout/sessions/{session_id}/pay", {"card": card})
    outcome: str = paid["outcome"]
    return outcome


async def test_declines_fail_and_a_member_ending_at_period_end_is_active_and_ending(
    site: str, db: Database, database_url: str
) -> None:
    today = utcnow().date()
    async with db.session() as session:
        await add_campaign(
            session=session,
            campaign=validate_campaign(
                slug="now", name="Now", target="1000.00", currency="eur",
                starts=str(today - timedelta(days=30)), ends=str(today + timedelta(days=30)),
            ),
        )  # fmt: skip
    async with (
        httpx.AsyncClient(base_url=site, timeout=30) as http,
        open_stripe_client(Settings(SITE_URL=site), retries=0) as client,
    ):
        # One-off: declined and never paid; declined then paid; paid; left open.
        declined = await checkout(http, 1000, "eur", "one_off")
        assert await pay(http, declined, DECLINED) == "declined"
        retried = await checkout(http, 1500, "eur", "one_off")
        assert await pay(http, retried, DECLINED) == "declined"
        assert await pay(http, retried, PAYS) == "paid"
        assert await pay(http, await checkout(http, 2000, "eur", "one_off"), PAYS) == "paid"
        await checkout(http, 2500, "eur", "one_off")
        # Members: one in euros who asks to cancel at the period's end, one in pounds.
        ending = await checkout(http, 1000, "eur", "monthly")
        assert await pay(http, ending, PAYS) == "paid"
        assert await pay(http, await checkout(http, 500, "gbp", "monthly"), PAYS) == "paid"
        subscription = (await client.v1.checkout.sessions.retrieve_async(ending)).subscription
        assert isinstance(subscription, str)
        await client.v1.subscriptions.update_async(
            subscription, params={"cancel_at_period_end": True}
        )
        assert (await control(http, "/deliveries/flush", {"timeout": 20}))["flushed"]

    first, last = today - timedelta(days=1), today + timedelta(days=1)
    async with db.session() as session:
        rows = await funnel_report(session=session, first_day=first, last_day=last, timezone="UTC")
        members = await members_report(
            session=session, first_day=first, last_day=last, timezone="UTC"
        )
    funnel = {row.frequency: (row.created, row.completed, row.expired, row.failed, row.open)
              for row in rows}  # fmt: skip
    # created, completed, expired, failed (a declined card, never paid after), open.
    assert funnel["one_off"] == (4, 2, 0, 1, 1)
    summary = members.summary()
    assert (summary["active"], summary["cancelled"], summary["ending"]) == (2, 0, 1)

    result = await in_process(
        "report", "progress", "--format", "json", env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    progress = json.loads(result.stdout)
    # The campaign's currency only, as its MRR: the member in pounds is not among them.
    assert (progress["active_members"], progress["ending_members"], progress["mrr"]) == (
        1, 1, 1000,
    )  # fmt: skip
    assert progress["members_currency"] == "eur"
    table = await in_process(
        "report", "progress", env={"DATABASE_URL": database_url, "COLUMNS": "120"}
    )
    assert "active members (EUR)" in table.stdout
    assert "ending at period end (EUR)" in table.stdout
    assert "MRR (EUR)" in table.stdout
    # The figures are the campaign running today (no --campaign): its window is around it.
    assert progress["campaign"] == "now"
    assert progress["starts_on"] <= today.isoformat() <= progress["ends_on"]
