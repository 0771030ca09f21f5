"""Sign-in links and the sessions they open.

A reader types an email; if a supporter has it, `issue_link` stores the SHA-256 of a fresh
token with its expiry and returns the link to email. Whether or not anyone has the address,
the page answers the same (the web layer's job), so the form tells nobody who gives.

`redeem` marks the link used in the same statement that checks it (used_at still empty,
expires_at still ahead): two clicks racing each other get one session between them. The
session is a random key whose SHA-256 is the `account_session` row; the cookie carries the
key, signed. Signing out ends the row, so a copied cookie stops working too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.account import letters
from donations.account.tokens import digest, new_token, sign, unsign
from donations.db import Database
from donations.models import AccountSession, SignInLink, Supporter
from donations.sql import execute
from donations.staff import Action, audit
from donations.supporters import normalise_email

LINK = "sign-in"
COOKIE = "session"


@dataclass(frozen=True)
class IssuedLink:
    supporter_id: int
    email: str
    url: str
    token_hash: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    supporter_id: int
    email: str | None
    # SHA-256 of the session key: what CSRF tokens are bound to.
    key_hash: str


async def issue_link(
    db: Database,
    *,
    key: bytes,
    email: str,
    site_url: str,
    minutes: int,
    client_ip: str | None,
    now: datetime,
) -> IssuedLink | None:
    """A sign-in link for the supporter with this email, its email queued in the outbox and
    its audit row written in the same transaction; None when nobody has the address."""
    address = normalise_email(email)
    if address is None:
        return None
    async with db.writing_session() as session:
        supporter_id = (
            await session.exec(
                select(Supporter.id).where(
                    col(Supporter.email) == address, col(Supporter.erased_at).is_(None)
                )
            )
        ).first()
        if supporter_id is None:
            return None
        token = new_token()
        token_hash = digest(token)
        expires_at = now + timedelta(minutes=minutes)
        session.add(
            SignInLink(
                token_hash=token_hash,
                supporter_id=supporter_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
        url = f"{site_url}/account/sign-in?token={quote(sign(key, LINK, token))}"
        await letters.queue_sign_in(
            session,
            supporter_id=supporter_id,
            to=address,
            url=url,
            minutes=minutes,
            token_hash=token_hash,
            now=now,
        )
        _audit(session, supporter_id, Action.account_link_sent, client_ip=client_ip, at=now)
    return IssuedLink(supporter_id, address, url, token_hash, expires_at)


def _audit(
    session: AsyncSession, supporter_id: int, action: Action, *, client_ip: str | None, at: datetime
) -> None:
    """The audit row of a supporter's own step, in the step's transaction."""
    audit(
        session=session,
        actor=f"supporter:{supporter_id}",
        action=action,
        client_ip=client_ip,
        at=at,
    )


def link_token(key: bytes, value: str | None) -> str | None:
    """The token in a link's `token` parameter, if we signed it (nothing asked of the database)."""
    return unsign(key, LINK, value)


async def redeem(
    db: Database,
    *,
    key: bytes,
    value: str | None,
    session_hours: int,
    client_ip: str | None,
    now: datetime,
) -> str | None:
    """Use a sign-in link once: the signed cookie value, or None when the link is forged,
    unknown, used or expired (the reader is told the same for each). The session and its
    audit row are written in the transaction that uses the link."""
    token = link_token(key, value)
    if token is None:
        return None
    token_hash = digest(token)
    async with db.writing_session() as session:
        claimed = await execute(
            session,
            update(SignInLink)
            .where(
                col(SignInLink.token_hash) == token_hash,
                col(SignInLink.used_at).is_(None),
                col(SignInLink.expires_at) > now,
            )
            .values(used_at=now)
            .returning(col(SignInLink.supporter_id)),
        )
        supporter_id = claimed.scalar()
        if supporter_id is None:
            return None
        session_key = new_token()
        session.add(
            AccountSession(
                key_hash=digest(session_key),
                supporter_id=supporter_id,
                created_at=now,
                expires_at=now + timedelta(hours=session_hours),
            )
        )
        _audit(session, supporter_id, Action.account_signed_in, client_ip=client_ip, at=now)
    return sign(key, COOKIE, session_key)


async def signed_in(
    db: Database, *, key: bytes, cookie: str | None, now: datetime
) -> SignedIn | None:
    """Who this cookie signs in, while its session lasts."""
    session_key = unsign(key, COOKIE, cookie)
    if session_key is None:
        return None
    key_hash = digest(session_key)
    async with db.session() as session:
        row = (
            await session.exec(
                select(AccountSession.supporter_id, Supporter.email)
                .join(Supporter, col(Supporter.id) == col(AccountSession.supporter_id))
                .where(
                    col(AccountSession.key_hash) == key_hash,
                    col(AccountSession.ended_at).is_(None),
                    col(AccountSession.expires_at) > now,
                    # An erased supporter (donations supporters erase) is nobody to sign in.
                    col(Supporter.erased_at).is_(None),
                )
            )
        ).first()
    if row is None:
        return None
    return SignedIn(supporter_id=row[0], email=row[1], key_hash=key_hash)


async def end_session(session: AsyncSession, *, key_hash: str, now: datetime) -> None:
    await execute(
        session,
        update(AccountSession)
        .where(col(AccountSession.key_hash) == key_hash, col(AccountSession.ended_at).is_(None))
        .values(ended_at=now),
    )
