"""The sign-in email, through the email outbox (donations/mail): queued in the same
transaction as the link it carries, so a link exists exactly when its email does.

The outbox's worker sends what is due; `deliver_now` asks it for a pass at once, after the
reader's answer has gone (a background task), so the link arrives in seconds, not at the next
pass. The message is queued `not_before` now, not after MAIL_SETTLE_SECONDS: nothing else is
coming that it should wait for.

The outbox keeps a message's context, the link included, as every message's: the link works
once and for ACCOUNT_LINK_MINUTES, so that copy is worth little for long.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from donations.db import Database
from donations.mail import outbox, worker
from donations.settings import Settings

logger = logging.getLogger(__name__)

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


async def deliver_now(db: Database, settings: Settings) -> None:
    """One pass of the outbox's worker; a failure is the worker's to retry, not the reader's."""
    try:
        await worker.deliver_due(db, settings)
    except Exception:
        logger.exception("sign-in email: delivery pass failed; the worker tries again")
