"""Supporters, memberships and gifts written straight into the ledger, and a signed-in
client, for the account's in-process tests (no Stripe call is made by what they test)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from donations.account import sign_in
from donations.account.tokens import account_key
from donations.db import Database
from donations.models import Membership, Payment, Supporter, utcnow
from donations.settings import Settings

TOKEN_FIELD = re.compile(r'name="token" value="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


async def add_supporter(db: Database, email: str) -> int:
    async with db.writing_session() as session:
        supporter = Supporter(email=email)
        session.add(supporter)
        await session.flush()
        assert supporter.id is not None
        return supporter.id


async def add_membership(
    db: Database, supporter_id: int, subscription: str, *, amount: int = 1000
) -> int:
    async with db.writing_session() as session:
        membership = Membership(
            stripe_subscription_id=subscription,
            stripe_customer_id=f"cus_{subscription}",
            supporter_id=supporter_id,
            status="active",
            amount=amount,
            currency="eur",
            interval="month",
            current_period_end=datetime(2027, 1, 5, tzinfo=UTC),
            started_at=datetime(2026, 12, 5, tzinfo=UTC),
        )
        session.add(membership)
        await session.flush()
        assert membership.id is not None
        return membership.id


async def add_gift(db: Database, supporter_id: int, amount: int, intent: str) -> int:
    async with db.writing_session() as session:
        payment = Payment(
            kind="one_off",
            amount=amount,
            currency="eur",
            paid_at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
            stripe_payment_intent_id=intent,
            supporter_id=supporter_id,
        )
        session.add(payment)
        await session.flush()
        assert payment.id is not None
        return payment.id


async def link_for(db: Database, settings: Settings, email: str, *, minutes: int = 30) -> str:
    issued = await sign_in.issue_link(
        db,
        key=account_key(settings),
        email=email,
        site_url=settings.SITE_URL,
        minutes=minutes,
        client_ip=None,
        now=utcnow(),
    )
    assert issued is not None
    return issued.url


async def sign_in_with(client: httpx.AsyncClient, settings: Settings, url: str) -> httpx.Response:
    """Open the emailed link and press its button, as a reader does."""
    page = await client.get(url.removeprefix(settings.SITE_URL))
    token = TOKEN_FIELD.search(page.text)
    assert token is not None, page.text
    return await client.post(
        "/account/sign-in",
        data={"token": token.group(1).replace("&#34;", '"')},
        headers={"Origin": settings.SITE_URL},
    )


async def csrf_of(client: httpx.AsyncClient) -> str:
    page = await client.get("/account")
    found = CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    return found.group(1)
