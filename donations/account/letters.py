"""The sign-in email, through the email outbox (donations/mail): queued in the same
transaction as the link it carries, so a link exists exactly when its email does.

Every server process runs the outbox's worker, which sends what is due every few seconds. The
message is queued `not_before` now, not after MAIL_SETTLE_SECONDS: nothing else is coming
that it should wait for.

The outbox keeps a message's context, the link included, as every message's: the link works
once and for ACCOUNT_LINK_MINUTES, so that copy is worth little for long, and
`donations privacy purge` empties it a day after the message was sent (donations/sent_mail.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.mail import outbox

KIND = "sign_in"


async def queue_sign_in(
    session: AsyncSession,
    *,
    supporter_id: int,
    to: str,
    url: str,
    minutes: int,
    token_hash: str,
    now: datetime,
) -> None:
    await outbox.queue(
        session,
        kind=KIND,
        to=to,
        # One message per link: the token's digest names it (never the token).
        key=f"{KIND}:{token_hash}",
        supporter_id=supporter_id,
        context={"link": url, "minutes": minutes},
        happened_at=now,
        not_before=now,
    )
