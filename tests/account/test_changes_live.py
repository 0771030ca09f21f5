"""Every membership change through a real server and the emulator, as Stripe would answer:
the Stripe call, its webhook booked into the ledger, the page's "pending" until then, the
members report and MRR after each step, and the audit log."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import col, select

from donations.app import create_app
from donations.db import Database
from donations.models import AccountChange, AuditLog, Membership, Payment, Supporter, utcnow
from donations.reports.members import members_report
from donations.settings import Settings
from tests.account.support import CSRF_FIELD, TOKEN_FIELD, link_for
from tests.support.servers import free_port, serve_in_thread

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_settings(database_url: str) -> Settings:
    port = free_port()
    return Settings(DATABASE_URL=database_url, SITE_URL=f"http://127.0.0.1:{port}")


@pytest.fixture
def site(live_settings: Settings) -> Iterator[str]:
    port = int(live_settings.SITE_URL.rsplit(":", 1)[1])
    with serve_in_thread(create_app(live_settings), port=port) as url:
        yield url


@pytest_asyncio.fixture
async def http(site: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=site, headers={"Origin": site}, timeout=30) as client:
        yield client


async def control(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
    answer = await http.post("/stripe-emulator/_emulator" + path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def flush(http: httpx.AsyncClient) -> None:
    assert (await control(http, "/deliveries/flush", {"timeout": 30}))["flushed"] is True


async def give_monthly(http: httpx.AsyncClient, email: str, amount: int) -> str:
    started = await http.post(
        "/api/checkout-sessions",
        json={"amount": amount, "currency": "eur", "frequency": "monthly", "email": email},
    )
    assert started.status_code == 201, started.text
    await control(
        http, f"/checkout/sessions/{started.json()['id']}/pay", {"card": "4242424242424242"}
    )
    await flush(http)
    return str(started.json()["id"])


async def next_second() -> None:
    """Stripe's `created` counts seconds, and the ledger keeps the first of two events of one
    second with the same status: a person takes longer than that between two changes."""
    await asyncio.sleep(1.0 - time.time() % 1.0)


async def figures(db: Database) -> dict[str, Any]:
    today = utcnow().date()
    async with db.session() as session:
        report = await members_report(
            session=session,
            first_day=today,
            last_day=today + timedelta(days=400),
            timezone="UTC",
            now=utcnow(),
        )
    summary = report.summary()
    return {name: summary[name] for name in ("active", "paused", "cancelled", "mrr")}


async def membership(db: Database) -> Membership:
    async with db.session() as session:
        return (await session.exec(select(Membership))).one()


async def sign_in_as(
    http: httpx.AsyncClient, db: Database, settings: Settings, email: str
) -> tuple[str, str]:
    """Sign `email` in by their emailed link: (the account page's CSRF token, the membership's
    subscription)."""
    link = await link_for(db, settings, email)
    page = await http.get(link.removeprefix(settings.SITE_URL))
    token = TOKEN_FIELD.search(page.text)
    assert token is not None
    await http.post("/account/sign-in", data={"token": token.group(1)})
    csrf = CSRF_FIELD.search((await http.get("/account")).text)
    assert csrf is not None
    return csrf.group(1), (await membership(db)).stripe_subscription_id


@pytest.mark.asyncio
async def test_a_member_changes_pauses_resumes_replaces_the_card_and_cancels(
    http: httpx.AsyncClient, db: Database, live_settings: Settings
) -> None:
    await give_monthly(http, "ana@example.org", 1000)
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1000}}
    csrf, sub = await sign_in_as(http, db, live_settings, "ana@example.org")
    assert "€10.00 every month" in (await http.get("/account")).text

    async def act(action: str, **fields: str) -> httpx.Response:
        await next_second()
        answer = await http.post(
            f"/account/memberships/{sub}/{action}", data={"csrf": csrf, **fields}
        )
        assert answer.status_code == 303, answer.text
        return answer

    # A new amount: pending until Stripe's event is booked, then in MRR.
    await control(http, "/deliveries/options", {"delivery_delay": 3})
    await act("amount", amount="15,00", frequency="monthly")
    assert 'id="pending"' in (await http.get("/account")).text
    await control(http, "/deliveries/options", {"delivery_delay": 0})
    await flush(http)
    page = await http.get("/account")
    assert 'id="pending"' not in page.text and "€15.00 every month" in page.text
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}}

    await act("pause", months="2")
    await flush(http)
    row = await membership(db)
    assert row.collection_paused and row.resumes_at is not None
    assert 58 <= (row.resumes_at - utcnow()).days <= 62
    assert await figures(db) == {"active": 0, "paused": 1, "cancelled": 0, "mrr": {"eur": 0}}
    assert "paused until" in (await http.get("/account")).text

    await act("resume")
    await flush(http)
    assert not (await membership(db)).collection_paused
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}}

    # A new card: Checkout in setup mode, its webhook, the card made the subscription's default.
    answer = await act("card")
    session_id = answer.headers["location"].rsplit("/", 1)[1]
    paid = await control(http, f"/checkout/sessions/{session_id}/pay", {"card": "5555555555554444"})
    await flush(http)
    done = await http.get(paid["redirect"].removeprefix(live_settings.SITE_URL))
    assert (done.status_code, done.headers["location"]) == (303, "/account?done=card")
    await flush(http)
    async with db.session() as session:
        card = (await session.exec(select(AccountChange).where(AccountChange.kind == "card"))).one()
    assert card.saved_at is not None and card.payment_method is not None
    subscription = await http.get(
        f"/stripe-emulator/v1/subscriptions/{sub}",
        headers={"Authorization": "Bearer sk_test_emulator"},
    )
    assert subscription.json()["default_payment_method"] == card.payment_method
    assert 'id="pending"' not in (await http.get("/account")).text

    await act("cancel", feedback="too_expensive", comment="Back next year")
    await flush(http)
    row = await membership(db)
    assert row.cancel_at_period_end and row.ended_at is None
    # Asking to cancel is not ending: active, and paying, until the period's end.
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1500}}
    subscription = await http.get(
        f"/stripe-emulator/v1/subscriptions/{sub}",
        headers={"Authorization": "Bearer sk_test_emulator"},
    )
    details = subscription.json()["cancellation_details"]
    assert (details["feedback"], details["comment"]) == ("too_expensive", "Back next year")
    assert row.current_period_end is not None
    await control(http, "/clock/advance", {"to": int(row.current_period_end.timestamp()) + 60})
    await flush(http)
    assert (await membership(db)).ended_at is not None
    assert await figures(db) == {"active": 0, "paused": 0, "cancelled": 1, "mrr": {"eur": 0}}

    async with db.session() as session:
        actions = (await session.exec(select(AuditLog.action).order_by(col(AuditLog.id)))).all()
    assert actions == [
        "account_link_sent",
        "account_signed_in",
        "account_amount_changed",
        "account_paused",
        "account_resumed",
        "account_card_requested",
        "account_card_changed",
        "account_cancelled",
    ]


@pytest.mark.asyncio
async def test_switching_to_annual_bills_the_year_now_and_mrr_follows(
    http: httpx.AsyncClient, db: Database, live_settings: Settings
) -> None:
    await give_monthly(http, "ben@example.org", 500)
    csrf, sub = await sign_in_as(http, db, live_settings, "ben@example.org")
    await next_second()
    answer = await http.post(
        f"/account/memberships/{sub}/amount",
        data={"csrf": csrf, "amount": "120", "frequency": "annual"},
    )
    assert answer.status_code == 303
    await flush(http)
    row = await membership(db)
    assert (row.amount, row.interval, row.interval_count) == (12000, "year", 1)
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 1000}}
    assert "€120.00 every year" in (await http.get("/account")).text
    # Stripe bills the new interval at once: the €5.00 first month, then €120.00 today.
    async with db.session() as session:
        amounts = (await session.exec(select(Payment.amount).order_by(col(Payment.id)))).all()
    assert amounts == [500, 12000]


@pytest.mark.asyncio
async def test_an_amount_outside_the_limits_is_refused_without_calling_stripe(
    http: httpx.AsyncClient, db: Database, live_settings: Settings
) -> None:
    await give_monthly(http, "cy@example.org", 500)
    csrf, sub = await sign_in_as(http, db, live_settings, "cy@example.org")
    for amount, message in (
        ("0,20", "The smallest amount we can take is €0.50."),
        ("ten", "&#39;ten&#39; is not an amount"),
    ):
        answer = await http.post(
            f"/account/memberships/{sub}/amount",
            data={"csrf": csrf, "amount": amount, "frequency": "monthly"},
        )
        assert answer.status_code == 422
        assert message in answer.text
    bad_pause = await http.post(
        f"/account/memberships/{sub}/pause", data={"csrf": csrf, "months": "4"}
    )
    assert bad_pause.status_code == 422
    async with db.session() as session:
        assert (await session.exec(select(AccountChange))).all() == []
    # Stripe's subscription is as it was: the same price, no pause.
    subscription = (
        await http.get(
            f"/stripe-emulator/v1/subscriptions/{sub}",
            headers={"Authorization": "Bearer sk_test_emulator"},
        )
    ).json()
    assert subscription["items"]["data"][0]["price"]["unit_amount"] == 500
    assert subscription["pause_collection"] is None


@pytest.mark.asyncio
async def test_a_one_off_giver_makes_it_monthly_from_the_thanks_page(
    http: httpx.AsyncClient, db: Database
) -> None:
    started = await http.post(
        "/api/checkout-sessions",
        json={"amount": 2500, "currency": "eur", "frequency": "one_off", "email": "di@example.org"},
    )
    session_id = started.json()["id"]
    await control(http, f"/checkout/sessions/{session_id}/pay", {"card": "4242424242424242"})
    await flush(http)
    thanks = await http.get(f"/contribute/thanks?session_id={session_id}")
    offered = re.search(r'id="make-monthly" href="([^"]+)"', thanks.text)
    assert offered is not None
    assert "Give €25.00 every month" in thanks.text
    page = await http.get(offered.group(1).replace("&amp;", "&"))
    assert page.status_code == 200 and "€25.00 every month" in page.text
    signed = re.search(r'name="offer" value="([^"]+)"', page.text)
    assert signed is not None
    # Another amount with the same signature is no offer of ours.
    forged = signed.group(1).replace("2500:", "100:", 1)
    refused = await http.post("/account/monthly", data={"offer": forged})
    assert refused.status_code == 404
    went = await http.post("/account/monthly", data={"offer": signed.group(1)})
    assert went.status_code == 303
    monthly_session = went.headers["location"].rsplit("/", 1)[1]
    await control(http, f"/checkout/sessions/{monthly_session}/pay", {"card": "4242424242424242"})
    await flush(http)
    row = await membership(db)
    assert (row.amount, row.currency, row.interval, row.source) == (
        2500,
        "eur",
        "month",
        "monthly_offer",
    )
    async with db.session() as session:
        supporters = (await session.exec(select(Supporter.email))).all()
        payers = set((await session.exec(select(Payment.supporter_id))).all())
    # The same email, prefilled from the one-off gift: one supporter with both gifts.
    assert supporters == ["di@example.org"] and payers == {row.supporter_id}
    assert await figures(db) == {"active": 1, "paused": 0, "cancelled": 0, "mrr": {"eur": 2500}}
