"""A real SMTP server for tests (aiosmtpd), in its own thread: what arrived, as parsed mail.

With `tls`, it speaks TLS with a certificate for 127.0.0.1 issued by the given certificate
authority (trustme): by STARTTLS, which it then requires, or from the first byte (smtps).
A client trusts it only when told to trust that authority (SSL_CERT_FILE).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.support.servers import free_port


@dataclass
class Mailbox:
    """Every message the server accepted, in order; `refuse` makes it answer 550 to these
    addresses, `down` 451 to everyone (a server in trouble)."""

    url: str
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    # For each message accepted: did it come over TLS?
    over_tls: list[bool] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    down: bool = False
    # Seconds the server takes to accept each message.
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages)} messages arrived, not {count}")


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.box.down:
            return "451 4.3.0 try again later"
        if address in self.box.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.box.delay:
            await asyncio.sleep(self.box.delay)
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.box.lock:
            self.box.messages.append(parsed)
            self.box.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
            # session.ssl is set by STARTTLS; a connection TLS from the first byte says so
            # on its transport.
            encrypted = session.ssl is not None or (
                server.transport.get_extra_info("ssl_object") is not None
            )
            self.box.over_tls.append(encrypted)
        return "250 Message accepted"


def _authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        good = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=good)

    return check


@contextmanager
def smtp_server(
    *,
    user: str | None = None,
    password: str | None = None,
    tls: Literal["starttls", "implicit"] | None = None,
    authority: trustme.CA | None = None,
) -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1; with `user`, it requires AUTH (over TLS when it has
    `tls`; without, over plain text, which aiosmtpd allows only when told)."""
    port = free_port()
    credentials = f"{user}:{password}@" if user else ""
    scheme = "smtps" if tls == "implicit" else "smtp"
    box = Mailbox(url=f"{scheme}://{credentials}127.0.0.1:{port}")
    options: dict[str, Any] = {}
    if user is not None:
        options = {
            "authenticator": _authenticator(user, password or ""),
            "auth_required": True,
            # aiosmtpd knows of TLS only by STARTTLS: a connection that is TLS from the
            # first byte would not be offered AUTH at all if TLS were required for it.
            "auth_require_tls": tls == "starttls",
        }
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        (authority or trustme.CA()).issue_cert("127.0.0.1").configure_cert(context)
        if tls == "starttls":
            options.update(tls_context=context, require_starttls=True)
        else:
            options.update(ssl_context=context)
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
