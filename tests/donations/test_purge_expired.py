"""`donations privacy purge` deletes the sign-in links, account sessions and login throttle
counters that ended: over a day ago for links and sessions, once forgotten for counters; and
nothing a reader or a login attempt could still use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from donations.account import sign_in
from donations.db import Database
from donations.expired import Expired, delete_expired, due_expired
from donations.models import AccountSession, AuditLog, LoginThrottle, SignInLink, utcnow
from donations.retention import purge
from tests.account.support import add_supporter
from tests.support.cli import in_process

KEY = b"k" * 32
HOUR, DAY, MINUTE = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1)


async def _cli(database_url: str, *args: str) -> Any:
    return await in_process(*args, env={"DATABASE_URL": database_url})


async def _add(db: Database, model: Any, rows: list[dict[str, Any]]) -> None:
    async with db.writing() as connection:
        await connection.execute(insert(model), rows)


async def _left(db: Database) -> tuple[set[str], set[str], set[str]]:
    async with db.session() as session:
        links = set((await session.exec(select(SignInLink.token_hash))).all())
        sessions = set((await session.exec(select(AccountSession.key_hash))).all())
        throttles = set((await session.exec(select(LoginThrottle.key))).all())
    return links, sessions, throttles


async def _the_ended_and_the_living(db: Database, now: datetime) -> int:
    """Links, sessions and counters either side of their end; the names say which go."""
    reader = await add_supporter(db, "mia@example.org")
    link = {"supporter_id": reader, "created_at": now - 2 * DAY, "used_at": None}
    await _add(db, SignInLink, [
        {**link, "token_hash": "gone-expired", "expires_at": now - DAY - MINUTE},
        # Used a day ago; its 30 minutes ran out only after that.
        {**link, "token_hash": "gone-used", "expires_at": now - DAY + 10 * MINUTE,
         "used_at": now - DAY - 10 * MINUTE},
        {**link, "token_hash": "kept-expired-in-grace", "expires_at": now - DAY + MINUTE},
        {**link, "token_hash": "kept-used-in-grace", "expires_at": now - HOUR,
         "used_at": now - 2 * HOUR},
        {**link, "token_hash": "kept-unused", "created_at": now, "expires_at": now + 30 * MINUTE},
    ])  # fmt: skip
    session = {"supporter_id": reader, "created_at": now - 3 * DAY, "ended_at": None}
    await _add(db, AccountSession, [
        {**session, "key_hash": "gone-expired", "expires_at": now - DAY - MINUTE},
        # Signed out a day ago, from a session that would have lasted a month.
        {**session, "key_hash": "gone-signed-out", "expires_at": now + 27 * DAY,
         "ended_at": now - DAY - MINUTE},
        {**session, "key_hash": "kept-expired-in-grace", "expires_at": now - DAY + MINUTE},
        {**session, "key_hash": "kept-signed-out-in-grace", "expires_at": now + 27 * DAY,
         "ended_at": now - 2 * HOUR},
        {**session, "key_hash": "kept-live", "created_at": now, "expires_at": now + 12 * HOUR},
    ])  # fmt: skip
    await _add(db, LoginThrottle, [
        {"key": "gone-forgotten", "name_key": None, "failures": 7,
         "last_failure_at": now - DAY - MINUTE},
        {"key": "kept-counting", "name_key": None, "failures": 7,
         "last_failure_at": now - DAY + MINUTE},
    ])  # fmt: skip
    return reader


KEPT = (
    {"kept-expired-in-grace", "kept-used-in-grace", "kept-unused"},
    {"kept-expired-in-grace", "kept-signed-out-in-grace", "kept-live"},
    {"kept-counting"},
)


@pytest.mark.asyncio
async def test_purge_deletes_what_ended_over_a_day_ago_and_says_how_many(
    db: Database, database_url: str
) -> None:
    now = utcnow()
    await _the_ended_and_the_living(db, now)
    everything = await _left(db)

    dry = await _cli(database_url, "privacy", "purge", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[1] == (
        "would delete 2 sign-in links and 2 account sessions that ended over a day ago, "
        "and 1 forgotten login throttle counters; nothing changed"
    )
    assert await _left(db) == everything

    purged = await _cli(database_url, "privacy", "purge")

    assert purged.exit_code == 0, purged.output
    assert purged.stdout.splitlines()[1] == (
        "deleted 2 sign-in links and 2 account sessions that ended over a day ago, "
        "and 1 forgotten login throttle counters"
    )
    assert await _left(db) == KEPT
    async with db.session() as session:
        audit = (await session.exec(select(AuditLog))).one()
    assert (audit.action, json.loads(audit.detail or "")) == ("privacy_purged", {
        "stored_events": 0, "stored_errors": 0,
        "sign_in_links": 2, "account_sessions": 2, "login_throttles": 1,
        "sent_messages": 0, "sign_in_messages": 0,
    })  # fmt: skip

    again = await _cli(database_url, "privacy", "purge")
    assert again.stdout.splitlines()[1] == (
        "deleted 0 sign-in links and 0 account sessions that ended over a day ago, "
        "and 0 forgotten login throttle counters"
    )
    assert await _left(db) == KEPT


@pytest.mark.asyncio
async def test_what_the_sign_in_still_accepts_outlives_every_purge(db: Database) -> None:
    """The real sign-in: links sent now and the session one of them opened are deleted only
    a day after the code that reads them stops accepting them."""
    now = utcnow()
    await add_supporter(db, "ana@example.org")

    async def link() -> str:
        issued = await sign_in.issue_link(
            db, key=KEY, email="ana@example.org", site_url="https://news.example",
            minutes=30, client_ip=None, now=now,
        )  # fmt: skip
        assert issued is not None
        return unquote(issued.url.partition("token=")[2])

    used = await link()
    await link()  # never used
    cookie = await sign_in.redeem(
        db, key=KEY, value=used, session_hours=12, client_ip=None, now=now
    )
    assert cookie is not None

    assert await delete_expired(db, now=now) == Expired(0, 0, 0)
    assert await sign_in.signed_in(db, key=KEY, cookie=cookie, now=now) is not None
    # A day past the unused link's 30 minutes: both links go, the 12-hour session stays.
    assert await delete_expired(db, now=now + DAY + 31 * MINUTE) == Expired(2, 0, 0)
    assert await sign_in.signed_in(db, key=KEY, cookie=cookie, now=now + 11 * HOUR) is not None
    assert await delete_expired(db, now=now + DAY + 12 * HOUR - MINUTE) == Expired(0, 0, 0)
    assert await delete_expired(db, now=now + DAY + 12 * HOUR + MINUTE) == Expired(0, 1, 0)
    assert await _left(db) == (set(), set(), set())


@pytest.mark.asyncio
async def test_purge_deletes_batch_by_batch(db: Database) -> None:
    now = utcnow()
    reader = await add_supporter(db, "lou@example.org")
    await _add(db, SignInLink, [
        {"token_hash": f"old-{n}", "supporter_id": reader, "created_at": now - 3 * DAY,
         "expires_at": now - 2 * DAY} for n in range(5)
    ])  # fmt: skip
    assert (await due_expired(db, now=now)).sign_in_links == 5

    purged = await purge(db, cutoff=now - 90 * DAY, now=now, actor="test", batch_size=2)

    assert (purged.expired.sign_in_links, purged.expired.account_sessions) == (5, 0)
    async with db.session() as session:
        left = (
            await session.exec(select(SignInLink).where(col(SignInLink.supporter_id) == reader))
        ).all()
    assert left == []
