"""Signing in by emailed link, in process: the same answer for known and unknown addresses,
links that work once and only for ACCOUNT_LINK_MINUTES, the cookie, signing out, the limits."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from donations.db import Database
from donations.models import AccountSession, AuditLog, SignInLink, utcnow
from donations.settings import Settings
from donations.sql import execute
from tests.account.support import add_supporter, csrf_of, link_for, sign_in_with

SITE = "http://127.0.0.1:8000"  # the default SITE_URL, which the Origin check compares with


def _from_site() -> dict[str, str]:
    return {"Origin": SITE}


@pytest.mark.asyncio
async def test_known_and_unknown_addresses_get_the_same_answer(
    client: httpx.AsyncClient, db: Database
) -> None:
    await add_supporter(db, "ana@example.org")
    known = await client.post(
        "/account/link", data={"email": "Ana@Example.org "}, headers=_from_site()
    )
    unknown = await client.post(
        "/account/link", data={"email": "nobody@example.org"}, headers=_from_site()
    )
    assert (known.status_code, unknown.status_code) == (200, 200)
    assert known.text == unknown.text
    assert known.headers["cache-control"] == unknown.headers["cache-control"] == "no-store"
    assert "If that address is one you gave with, a sign-in link is on its way" in known.text
    async with db.session() as session:
        links = (await session.exec(select(SignInLink))).all()
        actions = (await session.exec(select(AuditLog.action, AuditLog.actor))).all()
    assert len(links) == 1
    assert links[0].expires_at - links[0].created_at == timedelta(minutes=30)
    # The digest of the token, never the token: 64 hex digits, and not in the link we send.
    assert len(links[0].token_hash) == 64
    assert actions == [("account_link_sent", f"supporter:{links[0].supporter_id}")]


@pytest.mark.asyncio
async def test_a_link_signs_in_once_with_an_httponly_samesite_cookie(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await add_supporter(db, "ana@example.org")
    url = await link_for(db, settings, "ana@example.org")
    # Opening the link (as a mail scanner might) signs nobody in: the button does.
    opened = await client.get(url.removeprefix(SITE))
    assert opened.status_code == 200 and "set-cookie" not in opened.headers
    first = await sign_in_with(client, settings, url)
    assert (first.status_code, first.headers["location"]) == (303, "/account")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # http:// in development
    page = await client.get("/account")
    assert "Signed in as ana@example.org" in page.text
    client.cookies.clear()
    again = await sign_in_with(client, settings, url)
    assert again.status_code == 400
    assert "it has expired, has been used already, or is not one we sent" in again.text
    assert "set-cookie" not in again.headers


@pytest.mark.asyncio
async def test_an_expired_link_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await add_supporter(db, "ana@example.org")
    url = await link_for(db, settings, "ana@example.org")
    async with db.writing_session() as session:
        await execute(
            session, update(SignInLink).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    refused = await sign_in_with(client, settings, url)
    assert refused.status_code == 400 and "set-cookie" not in refused.headers


@pytest.mark.asyncio
async def test_a_tampered_link_is_refused_before_the_database_is_asked(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await add_supporter(db, "ana@example.org")
    url = await link_for(db, settings, "ana@example.org")
    token = url.split("token=")[1]
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    opened = await client.get(f"/account/sign-in?token={tampered}")
    assert opened.status_code == 400
    posted = await client.post("/account/sign-in", data={"token": tampered}, headers=_from_site())
    assert posted.status_code == 400 and "set-cookie" not in posted.headers
    # The untouched link still works.
    assert (await sign_in_with(client, settings, url)).status_code == 303


@pytest.mark.asyncio
async def test_a_forged_or_ended_cookie_signs_nobody_in(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await add_supporter(db, "ana@example.org")
    await sign_in_with(client, settings, await link_for(db, settings, "ana@example.org"))
    cookie = client.cookies["session"]
    client.cookies.set("session", cookie[:-2] + "xx")
    assert "Email me a sign-in link" in (await client.get("/account")).text
    client.cookies.set("session", cookie)
    assert "Signed in as" in (await client.get("/account")).text
    async with db.writing_session() as session:
        await execute(session, update(AccountSession).values(expires_at=utcnow()))
    assert "Email me a sign-in link" in (await client.get("/account")).text


@pytest.mark.asyncio
async def test_signing_out_ends_the_session_on_the_server(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    await add_supporter(db, "ana@example.org")
    await sign_in_with(client, settings, await link_for(db, settings, "ana@example.org"))
    copied = client.cookies["session"]
    csrf = await csrf_of(client)
    out = await client.post("/account/sign-out", data={"csrf": csrf}, headers=_from_site())
    assert (out.status_code, out.headers["location"]) == (303, "/account")
    assert 'session=""' in out.headers["set-cookie"]
    # A copy of the cookie taken before signing out opens nothing.
    client.cookies.set("session", copied)
    assert "Email me a sign-in link" in (await client.get("/account")).text
    async with db.session() as session:
        ended = (await session.exec(select(AccountSession.ended_at))).one()
        actions = (await session.exec(select(AuditLog.action).order_by(col(AuditLog.id)))).all()
    assert ended is not None
    assert actions == ["account_link_sent", "account_signed_in", "account_signed_out"]


@pytest.mark.asyncio
async def test_the_cookie_is_secure_on_an_https_site(db: Database, settings: Settings) -> None:
    from tests.support.apps import asgi_client, running_app

    https = settings.model_copy(update={"SITE_URL": "https://give.news.example"})
    await add_supporter(db, "ana@example.org")
    url = await link_for(db, https, "ana@example.org")
    async with running_app(https) as app, asgi_client(app) as http:
        signed = await sign_in_with(http, https, url)
    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]


@pytest.mark.asyncio
async def test_links_are_limited_per_email_and_per_client(
    client: httpx.AsyncClient, db: Database
) -> None:
    await add_supporter(db, "ana@example.org")
    # One address however it is typed: the limit counts the address the link would go to.
    spellings = ["ana@example.org", "Ana@Example.org ", " ANA@EXAMPLE.ORG"] * 2
    answers = [
        (await client.post("/account/link", data={"email": email}, headers=_from_site())).status_code
        for email in spellings
    ]  # fmt: skip
    assert answers == [200] * 5 + [429]
    # Another address from the same client still gets through, until the client's own limit.
    others = [
        (await client.post("/account/link", data={"email": f"r{n}@example.org"}, headers=_from_site())).status_code
        for n in range(16)
    ]  # fmt: skip
    assert others == [200] * 14 + [429] * 2
    refused = await client.post(
        "/account/link", data={"email": "x@example.org"}, headers=_from_site()
    )
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many sign-in emails asked for" in refused.text
    async with db.session() as session:
        assert len((await session.exec(select(SignInLink))).all()) == 5


@pytest.mark.asyncio
async def test_the_email_form_is_refused_from_another_site(
    client: httpx.AsyncClient, db: Database
) -> None:
    await add_supporter(db, "ana@example.org")
    foreign = await client.post(
        "/account/link",
        data={"email": "ana@example.org"},
        headers={"Origin": "https://evil.example"},
    )
    blind = await client.post("/account/link", data={"email": "ana@example.org"})
    assert (foreign.status_code, blind.status_code) == (403, 403)
    async with db.session() as session:
        assert (await session.exec(select(SignInLink))).all() == []


@pytest.mark.asyncio
async def test_the_link_arrives_by_email_and_signs_in(db: Database, settings: Settings) -> None:
    from tests.support.apps import asgi_client, running_app
    from tests.support.smtp import smtp_server

    await add_supporter(db, "ana@example.org")
    with smtp_server() as box:
        mailing = settings.model_copy(update={"SMTP_URL": box.url, "NEWSROOM_NAME": "The Ledger"})
        async with running_app(mailing) as app, asgi_client(app) as http:
            asked = await http.post(
                "/account/link", data={"email": "ana@example.org"}, headers=_from_site()
            )
            assert asked.status_code == 200
            await http.post(
                "/account/link", data={"email": "ben@example.org"}, headers=_from_site()
            )
            (message,) = await asyncio.to_thread(box.wait_for, 1)
            assert message["To"] == "ana@example.org"
            assert message["Subject"] == "Your sign-in link for The Ledger"
            assert message["X-Newsroom-Mail-Kind"] == "sign_in"
            text = message.get_body(preferencelist=("plain",)).get_content()
            assert "It works once, for 30 minutes." in text
            link = re.search(r"http://127\.0\.0\.1:8000/account/sign-in\?token=\S+", text)
            assert link is not None
            signed = await sign_in_with(http, mailing, link.group(0))
            assert signed.status_code == 303
            assert "Signed in as ana@example.org" in (await http.get("/account")).text
        # Nobody else was written to: the unknown address got the same page and no email.
        assert len(box.messages) == 1
