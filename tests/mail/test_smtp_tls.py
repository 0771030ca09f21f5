"""SMTP over TLS against a real server with a real certificate: STARTTLS, smtps, a
certificate nobody vouches for, and a password that never goes in clear."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from sqlmodel import col, select

from donations.db import Database
from donations.mail import outbox
from donations.mail.delivery import NO_STARTTLS
from donations.mail.worker import deliver_due
from donations.models import OutboxMessage
from donations.settings import Settings
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.asyncio

RECEIPT = {
    "amount": 2500, "currency": "eur", "paid_at": "2026-12-01T10:00:00+00:00",
    "description": "A one-off contribution", "reference": "P-1",
}  # fmt: skip


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> trustme.CA:
    """A private certificate authority this process trusts, as a newsroom's would be trusted
    with SSL_CERT_FILE."""
    authority = trustme.CA()
    pem = tmp_path / "authority.pem"
    authority.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    return authority


async def queue_receipt(db: Database) -> None:
    async with db.writing_session() as session:
        await outbox.queue(
            session, kind="receipt", to="ana@example.org", key="r:1", context=RECEIPT
        )


async def only_message(db: Database) -> tuple[str, int, str | None]:
    async with db.session() as session:
        [message] = (
            await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        ).all()
    return message.status, message.attempts, message.last_error


async def test_starttls_with_a_password_delivers_over_tls(
    db: Database, settings: Settings, authority: trustme.CA
) -> None:
    with smtp_server(
        user="newsroom", password="s3cret", tls="starttls", authority=authority
    ) as box:
        await queue_receipt(db)
        tally = await deliver_due(db, settings.model_copy(update={"SMTP_URL": box.url}))
        assert (tally.sent, tally.retrying, tally.failed) == (1, 0, 0)
        [mail] = box.wait_for(1)
        assert mail["To"] == "ana@example.org"
        assert box.over_tls == [True]
    assert await only_message(db) == ("sent", 1, None)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtps_is_tls_from_the_first_byte(
    db: Database, settings: Settings, authority: trustme.CA
) -> None:
    with smtp_server(
        user="newsroom", password="s3cret", tls="implicit", authority=authority
    ) as box:
        assert box.url.startswith("smtps://newsroom:s3cret@127.0.0.1:")
        await queue_receipt(db)
        assert (await deliver_due(db, settings.model_copy(update={"SMTP_URL": box.url}))).sent == 1
        box.wait_for(1)
        assert box.over_tls == [True]


async def test_a_certificate_nobody_vouches_for_sends_nothing_and_is_tried_again(
    db: Database, settings: Settings, authority: trustme.CA
) -> None:
    # The server's certificate comes from another authority than the trusted one.
    with smtp_server(tls="implicit", authority=trustme.CA()) as box:
        await queue_receipt(db)
        tally = await deliver_due(db, settings.model_copy(update={"SMTP_URL": box.url}))
        assert (tally.sent, tally.retrying, tally.failed) == (0, 1, 0)
        assert box.messages == []
    status, attempts, error = await only_message(db)
    assert (status, attempts) == ("queued", 1)
    assert error == (
        "ConnectionError: the server's certificate is not trusted "
        "(unable to get local issuer certificate): nothing was sent"
    )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_password_is_not_sent_to_a_server_without_starttls(
    db: Database, settings: Settings
) -> None:
    with smtp_server(user="newsroom", password="s3cret") as box:
        await queue_receipt(db)
        tally = await deliver_due(db, settings.model_copy(update={"SMTP_URL": box.url}))
        assert (tally.sent, tally.retrying) == (0, 1)
        assert box.messages == []
    assert await only_message(db) == ("queued", 1, f"SMTPNotSupportedError: {NO_STARTTLS}")


# aiosmtpd warns that AUTH without TLS is unsafe: that is what starttls=off asks for.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_starttls_off_says_plain_text_is_wanted(db: Database, settings: Settings) -> None:
    with smtp_server(user="newsroom", password="s3cret") as box:
        await queue_receipt(db)
        plain = settings.model_copy(update={"SMTP_URL": f"{box.url}?starttls=off"})
        assert (await deliver_due(db, plain)).sent == 1
        box.wait_for(1)
        assert box.over_tls == [False]


async def test_starttls_required_refuses_a_server_without_it(
    db: Database, settings: Settings
) -> None:
    with smtp_server() as box:
        await queue_receipt(db)
        required = settings.model_copy(update={"SMTP_URL": f"{box.url}?starttls=required"})
        assert (await deliver_due(db, required)).retrying == 1
        assert box.messages == []
    assert await only_message(db) == ("queued", 1, f"SMTPNotSupportedError: {NO_STARTTLS}")


async def test_without_a_password_starttls_is_used_when_offered_and_skipped_when_not(
    db: Database, settings: Settings, authority: trustme.CA
) -> None:
    with smtp_server(tls="starttls", authority=authority) as offered, smtp_server() as plain:
        for box in (offered, plain):
            async with db.writing_session() as session:
                await outbox.queue(
                    session, kind="receipt", to="ana@example.org", key=box.url, context=RECEIPT
                )
            assert (
                await deliver_due(db, settings.model_copy(update={"SMTP_URL": box.url}))
            ).sent == 1
            box.wait_for(1)
        assert (offered.over_tls, plain.over_tls) == ([True], [False])
