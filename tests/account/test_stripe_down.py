"""When Stripe cannot be reached, every change the account asks of it, and the return from
the card's Checkout, answer the reader with a page saying so (502), record nothing, and do not
fail with a server error."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from donations.account.changes import STRIPE_DOWN
from donations.db import Database
from donations.models import AccountChange, AuditLog, ChangeKind, utcnow
from donations.settings import Settings
from donations.sql import execute
from tests.account.support import add_membership, add_supporter, csrf_of, link_for, sign_in_with
from tests.account.test_ownership import ACTIONS
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.servers import free_port


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Nothing listens on a port just freed: every Stripe call fails to connect.
    return Settings(
        DATABASE_URL=database_url,
        STRIPE_WEBHOOK_SECRET=TEST_WEBHOOK_SECRET,
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",
    )


SIGNED_IN = ["account_link_sent", "account_signed_in"]


async def _audited(db: Database) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(AuditLog.action))).all())


@pytest.mark.asyncio
async def test_changes_and_the_card_return_say_stripe_is_unreachable(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    ana = await add_supporter(db, "ana@example.org")
    membership_id = await add_membership(db, ana, "sub_ana")
    await sign_in_with(client, settings, await link_for(db, settings, "ana@example.org"))
    csrf = await csrf_of(client)
    origin = {"Origin": settings.SITE_URL}
    for action, fields in ACTIONS.items():
        answer = await client.post(
            f"/account/memberships/sub_ana/{action}", data={"csrf": csrf, **fields}, headers=origin
        )
        assert answer.status_code == 502, (action, answer.text)
        assert STRIPE_DOWN.split(".")[0] in answer.text
    # The card's request is written before Stripe is asked; nothing else is.
    async with db.session() as session:
        kinds = (await session.exec(select(AccountChange.kind))).all()
    assert kinds == [ChangeKind.card]
    assert await _audited(db) == SIGNED_IN

    # Back from a setup session Stripe then could not be asked about.
    async with db.writing_session() as session:
        await execute(
            session,
            update(AccountChange)
            .where(col(AccountChange.membership_id) == membership_id)
            .values(stripe_session_id="cs_test_card", saved_at=utcnow()),
        )
    done = await client.get("/account/card/done?session_id=cs_test_card")
    assert done.status_code == 502, done.text
    assert STRIPE_DOWN.split(".")[0] in done.text
    # The account page still opens; the saved card stays waiting.
    page = await client.get("/account")
    assert page.status_code == 200 and "Signed in as ana@example.org" in page.text
    async with db.session() as session:
        card = (await session.exec(select(AccountChange))).one()
    assert card.payment_method is None
    assert await _audited(db) == SIGNED_IN
