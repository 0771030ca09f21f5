"""The account acts only on the signed-in supporter's own objects, and only from its own
pages: another supporter's membership or receipt is a 404 (as one that does not exist), and a
form without the session's CSRF token or from another site is refused before Stripe is asked."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from sqlmodel import select

from donations.db import Database
from donations.models import AccountChange, AuditLog, Payment, utcnow
from donations.settings import Settings
from tests.account.support import (
    add_gift,
    add_membership,
    add_supporter,
    csrf_of,
    link_for,
    sign_in_with,
)

SITE = "http://127.0.0.1:8000"
ACTIONS = {
    "amount": {"amount": "15", "frequency": "monthly"},
    "pause": {"months": "1"},
    "resume": {},
    "cancel": {"feedback": "too_expensive", "comment": ""},
    "card": {},
}


@pytest_asyncio.fixture
async def ana(client: httpx.AsyncClient, db: Database, settings: Settings) -> str:
    """Ana signed in on `client`, with a membership of her own; Ben has another."""
    ana_id = await add_supporter(db, "ana@example.org")
    ben_id = await add_supporter(db, "ben@example.org")
    await add_membership(db, ana_id, "sub_ana")
    await add_membership(db, ben_id, "sub_ben")
    await add_gift(db, ana_id, 2500, "pi_ana")
    await add_gift(db, ben_id, 5000, "pi_ben")
    await sign_in_with(client, settings, await link_for(db, settings, "ana@example.org"))
    return await csrf_of(client)


@pytest.mark.asyncio
@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_another_supporters_membership_is_not_found(
    client: httpx.AsyncClient, db: Database, ana: str, action: str
) -> None:
    for subscription in ("sub_ben", "sub_nobody"):
        answer = await client.post(
            f"/account/memberships/{subscription}/{action}",
            data={"csrf": ana, **ACTIONS[action]},
            headers={"Origin": SITE},
        )
        assert answer.status_code == 404
        assert "No such membership in your account." in answer.text
    async with db.session() as session:
        assert (await session.exec(select(AccountChange))).all() == []


@pytest.mark.asyncio
async def test_only_ones_own_receipts_are_shown(
    client: httpx.AsyncClient, db: Database, ana: str
) -> None:
    page = await client.get("/account")
    assert page.text.count('class="gift"') == 1
    assert "€25.00" in page.text and "€50.00" not in page.text
    own = page.text.split('href="/account/receipts/')[1].split('"')[0]
    receipt = await client.get(f"/account/receipts/{own}")
    assert receipt.status_code == 200 and "€25.00" in receipt.text
    others = await client.get(f"/account/receipts/{int(own) + 1}")
    assert others.status_code == 404 and "€50.00" not in others.text


@pytest.mark.asyncio
async def test_each_receipt_is_the_gift_it_names(
    client: httpx.AsyncClient, db: Database, ana: str
) -> None:
    async with db.session() as session:
        ana_id, older = (
            await session.exec(
                select(Payment.supporter_id, Payment.id).where(Payment.amount == 2500)
            )
        ).one()
    assert ana_id is not None
    newer = await add_gift(db, ana_id, 1200, "pi_ana_again")
    for payment, amount in ((older, "€25.00"), (newer, "€12.00")):
        receipt = await client.get(f"/account/receipts/{payment}")
        assert receipt.status_code == 200
        assert f'<dd id="receipt-amount">{amount}</dd>' in receipt.text


@pytest.mark.asyncio
@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: httpx.AsyncClient, db: Database, ana: str, action: str
) -> None:
    path = f"/account/memberships/sub_ana/{action}"
    missing = await client.post(path, data=ACTIONS[action], headers={"Origin": SITE})
    wrong = await client.post(
        path, data={"csrf": ana[:-1] + "x", **ACTIONS[action]}, headers={"Origin": SITE}
    )
    foreign = await client.post(
        path, data={"csrf": ana, **ACTIONS[action]}, headers={"Origin": "https://evil.example"}
    )
    assert [missing.status_code, wrong.status_code, foreign.status_code] == [403, 403, 403]
    assert "This form can only be sent from our own pages." in foreign.text
    async with db.session() as session:
        assert (await session.exec(select(AccountChange))).all() == []
        assert (await session.exec(select(AuditLog.action))).all() == [
            "account_link_sent",
            "account_signed_in",
        ]


@pytest.mark.asyncio
async def test_another_sessions_csrf_token_does_not_do(
    client: httpx.AsyncClient, db: Database, settings: Settings, ana: str
) -> None:
    # Ana signs in again elsewhere: that session's token is not this one's.
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as elsewhere:
        await sign_in_with(elsewhere, settings, await link_for(db, settings, "ana@example.org"))
        other_token = await csrf_of(elsewhere)
    assert other_token != ana
    answer = await client.post(
        "/account/sign-out", data={"csrf": other_token}, headers={"Origin": SITE}
    )
    assert answer.status_code == 403


@pytest.mark.asyncio
async def test_signed_out_forms_go_back_to_the_sign_in_page(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/account/memberships/sub_ana/pause", data={"months": "1"}, headers={"Origin": SITE}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/account")
    assert (await client.get("/account/receipts/1")).headers["location"] == "/account"


@pytest.mark.asyncio
async def test_only_one_off_givers_are_offered_to_give_monthly(
    client: httpx.AsyncClient, db: Database, settings: Settings, ana: str
) -> None:
    assert 'id="make-monthly"' not in (await client.get("/account")).text  # Ana is a member
    cy = await add_supporter(db, "cy@example.org")
    await add_gift(db, cy, 1200, "pi_cy")
    client.cookies.clear()
    await sign_in_with(client, settings, await link_for(db, settings, "cy@example.org"))
    page = await client.get("/account")
    assert "Give €12.00 every month" in page.text
    offer = page.text.split('id="make-monthly" href="')[1].split('"')[0]
    monthly = await client.get(offer)
    assert monthly.status_code == 200 and "€12.00 every month" in monthly.text


@pytest.mark.asyncio
async def test_the_years_statement_is_ones_own(
    client: httpx.AsyncClient, db: Database, ana: str
) -> None:
    page = await client.get("/account")
    assert '<a href="/account/statements/2026">2026</a>' in page.text
    statement = await client.get("/account/statements/2026")
    assert statement.status_code == 200
    assert 'id="total-eur">€25.00<' in statement.text and "€50.00" not in statement.text
    assert (await client.get("/account/statements/2025")).status_code == 404


@pytest.mark.asyncio
async def test_an_ended_membership_is_not_changed(
    client: httpx.AsyncClient, db: Database, ana: str
) -> None:
    from sqlalchemy import update

    from donations.models import Membership
    from donations.sql import execute

    async with db.writing_session() as session:
        await execute(
            session,
            update(Membership)
            .where(Membership.stripe_subscription_id == "sub_ana")  # type: ignore[arg-type]
            .values(status="canceled", ended_at=utcnow()),
        )
    answer = await client.post(
        "/account/memberships/sub_ana/pause",
        data={"csrf": ana, "months": "1"},
        headers={"Origin": SITE},
    )
    assert answer.status_code == 409
    assert "This membership has ended and can no longer be changed." in answer.text
    assert "Pause for a while" not in (await client.get("/account")).text
