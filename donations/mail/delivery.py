"""Handing a finished message to the world: an SMTP server, or a folder of `.eml` files.

    sender_for(settings) -> Sender       SMTP_URL's server, else files under MAIL_DIR
    await sender.send(message)           raises Undeliverable (never retry) or any other
                                         error (try again later)
    eml_name(message_id, kind)           the file of an outbox message (FileSender)
    eml_files(folder, message_id)        its files in a folder (/admin/mail)
    remove_mail_files(folder, ids)       those of these messages deleted (erasure, the purge)

SMTP_URL: `smtp://[user[:password]@]host[:port]` (port 25 by default; STARTTLS when the
server offers it), `?starttls=required` (refuse a server that does not offer it) or
`?starttls=off`; `smtps://…` is TLS from the first byte (port 465 by default). The user and
password are percent-decoded (`%40` for an `@` in a user name). The standard library's
smtplib does the talking, in a thread: a message a few seconds at most, one at a time.

TLS is verified against the system's certificate authorities (a private one: SSL_CERT_FILE).
With a user and password, STARTTLS is required unless `?starttls=off` says otherwise: a server
that does not offer it (or someone between us and it who strips the offer) would otherwise
be sent the password, and readers' addresses, in clear.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from donations.settings import Settings

BAD_SMTP_URL = "SMTP_URL {problem}"
NO_STARTTLS = (
    "the server does not offer STARTTLS: nothing is sent in clear with a password "
    "(add ?starttls=off to SMTP_URL to allow it)"
)
UNTRUSTED = "the server's certificate is not trusted ({reason}): nothing was sent"


class Undeliverable(Exception):
    """The server refused the message for good (a 5xx for its recipient): no retry."""


class Sender(Protocol):
    async def send(self, message: Message, *, name: str) -> None: ...


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: Literal["implicit", "starttls", "opportunistic", "off"]
    user: str | None
    password: str | None


def smtp_server(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(BAD_SMTP_URL.format(problem="must be smtp://host or smtps://host"))
    starttls = parse_qs(parts.query).get("starttls", ["auto"])[-1]
    if parts.scheme == "smtps":
        tls: Literal["implicit", "starttls", "opportunistic", "off"] = "implicit"
    elif starttls == "required":
        tls = "starttls"
    elif starttls == "off":
        tls = "off"
    elif starttls == "auto":
        tls = "opportunistic"
    else:
        raise ValueError(BAD_SMTP_URL.format(problem="starttls must be required, auto or off"))
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if tls == "implicit" else 25),
        tls=tls,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class SmtpSender:
    def __init__(self, server: SmtpServer, timeout: float) -> None:
        self.server = server
        self.timeout = timeout

    async def send(self, message: Message, *, name: str) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: Message) -> None:
        try:
            self._talk(message)
        except ssl.SSLCertVerificationError as untrusted:
            # A ValueError to Python, but the server's (or the trust store's) trouble, not the
            # message's: tried again later, as when the server is down.
            raise ConnectionError(UNTRUSTED.format(reason=untrusted.verify_message)) from None

    def _talk(self, message: Message) -> None:
        server = self.server
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if server.tls == "implicit":
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        with client:
            client.ehlo()
            if server.tls in ("starttls", "opportunistic"):
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif server.tls == "starttls" or server.user is not None:
                    raise smtplib.SMTPNotSupportedError(NO_STARTTLS)
            if server.user is not None:
                client.login(server.user, server.password or "")
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as refused:
                # Said without the address: errors are shown to staff and kept.
                answers = list(refused.recipients.values())
                said = "; ".join(
                    f"{code} {text.decode(errors='replace')}" for code, text in answers
                )
                if all(500 <= code < 600 for code, _ in answers):
                    raise Undeliverable(f"the address was refused: {said}") from None
                raise smtplib.SMTPException(f"the address was refused for now: {said}") from None


class FileSender:
    """Development: each message is a file a person can open in a mail program."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: Message, *, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        partial = path.with_suffix(".part")
        partial.write_bytes(message.as_bytes())
        partial.replace(path)


def eml_name(message_id: int, kind: str) -> str:
    """The file of an outbox message: its id first, so that erasure finds it by id alone
    (no address or name is ever in a file name)."""
    return f"{message_id:08d}-{kind}.eml"


def eml_files(folder: Path, message_id: int) -> list[Path]:
    return sorted(folder.glob(f"{message_id:08d}-*.eml")) if folder.is_dir() else []


def remove_mail_files(folder: Path, messages: Iterable[int]) -> int:
    """Delete the .eml files of these outbox messages; how many there were."""
    removed = 0
    for message_id in messages:
        for path in eml_files(folder, message_id):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def sender_for(settings: Settings) -> Sender:
    if settings.SMTP_URL:
        return SmtpSender(smtp_server(settings.SMTP_URL), settings.SMTP_TIMEOUT)
    return FileSender(Path(settings.MAIL_DIR))
