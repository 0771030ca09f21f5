"""/admin/mail shows what failed for good and the newest messages, with their .eml files in
development; a supporter's statement is a page staff can print."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

import stripe_events as se
from donations.db import Database
from donations.mail import outbox
from donations.mail.worker import deliver_due
from donations.models import Supporter
from donations.settings import Settings
from donations.staff import add_staff
from tests.support.apps import asgi_client, running_app
from tests.support.smtp import Mailbox
from webhooks.inbox import receive_dict

pytestmark = pytest.mark.asyncio
AUTH = ("ana", "correct horse battery")


async def test_staff_see_failed_messages_and_the_eml_files(
    db: Database, settings: Settings, smtp: Mailbox, tmp_path: Path
) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=AUTH[0], password=AUTH[1], actor="test")
    async with db.writing_session() as session:
        await outbox.queue(
            session,
            kind="welcome",
            to="gone@example.org",
            key="w:1",
            context={"amount": 1000, "currency": "eur", "how_often": "monthly"},
        )
        await outbox.queue(
            session,
            kind="welcome",
            to="bo@example.org",
            key="w:2",
            context={"amount": 500, "currency": "eur", "how_often": "annual"},
        )
    smtp.refuse.add("gone@example.org")
    await deliver_due(db, settings.model_copy(update={"SMTP_URL": smtp.url}), limit=1)
    files = settings.model_copy(update={"MAIL_ENABLED": False, "MAIL_DIR": str(tmp_path / "m")})
    await deliver_due(db, files)
    async with running_app(files) as app, asgi_client(app) as http:
        assert (await http.get("/admin/mail")).status_code == 401
        page = await http.get("/admin/mail", auth=AUTH)
        assert page.status_code == 200
        assert "Queued: 0 · Sent: 1 · Failed: 1 · Skipped: 0" in page.text
        assert "g***@example.org" in page.text and "gone@example.org" not in page.text
        assert "550 5.1.1 no such user" in page.text
        assert '<a href="/admin/mail/2.eml">2</a>' in page.text
        assert "/admin/mail/1.eml" not in page.text  # sent by SMTP: no file to link
        assert 'href="/admin/mail" aria-current="page">Mail</a>' in page.text
        message = await http.get("/admin/mail/2.eml", auth=AUTH)
        assert message.status_code == 200
        assert message.headers["content-type"] == "message/rfc822"
        assert b"Welcome, member of Our newsroom" in message.content
        assert (await http.get("/admin/mail/1.eml", auth=AUTH)).status_code == 404


async def test_a_statement_is_a_page_staff_can_print(db: Database, settings: Settings) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=AUTH[0], password=AUTH[1], actor="test")
    gift = se.one_off_gift(2500, "eur", se.START, "cy@example.org")
    refund = se.refund(gift, 1000, se.START + se.DAY)
    for event in gift.events + refund.events:
        await receive_dict(db, event)
    async with db.session() as session:
        supporter = (await session.exec(select(Supporter))).one()
    wording = settings.model_copy(update={"RECEIPT_TAX_WORDING": "No goods or services."})
    async with running_app(wording) as app, asgi_client(app) as http:
        page = await http.get(f"/admin/supporters/{supporter.id}/statement/2026", auth=AUTH)
        assert page.status_code == 200, page.text
        assert "giving statement, 2026" in page.text
        assert (
            '<td class="n">€25.00</td><td class="n">€10.00</td><td class="n">€15.00</td>'
            in page.text
        )
        assert "No goods or services." in page.text
        missing = await http.get(f"/admin/supporters/{supporter.id}/statement/2025", auth=AUTH)
        assert missing.status_code == 404
