"""Signed links in messages: the reader's card-update link (failed-renewal notes, renewal
reminders).

    card_update_url(settings, membership_id, now=) -> "{SITE_URL}/mail/card/{id}?until=…&sig=…"
    valid(settings, membership_id, until, signature, now=) -> bool
    await card_update_portal(state, membership_id) -> URL of a Stripe billing-portal session

The link names the membership and when it stops working (LINK_DAYS after the message was
written), with an HMAC of both, so nobody can make one for another reader's membership or
keep one for ever (signed by donations/account/tokens.py's `sign`, under a purpose of its
own). Opening it (donations/web/mail_links.py) creates a billing-portal session
for the membership's customer at that moment, in the portal's card-update flow (a portal
session expires within minutes, a message may be read days later), and redirects there. The
HMAC key is derived from STRIPE_SECRET_KEY (or, with the emulator, the webhook secret): a
server-side secret production always has; rotating the Stripe key retires the links sent.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

import stripe
from sqlalchemy import bindparam, select
from sqlmodel import col

from donations.account import tokens
from donations.models import Membership, utcnow
from donations.settings import Settings
from donations.sql import execute
from donations.state import AppState

logger = logging.getLogger(__name__)

PURPOSE = "newsroom-donations card-update link v1"
LINK_DAYS = 45

_CUSTOMER = select(col(Membership.stripe_customer_id)).where(
    col(Membership.id) == bindparam("membership")
)


def _key(settings: Settings) -> bytes:
    secret = settings.STRIPE_SECRET_KEY or settings.STRIPE_WEBHOOK_SECRET or "emulator"
    return hmac.new(secret.encode(), PURPOSE.encode(), hashlib.sha256).digest()


def signature(settings: Settings, membership_id: int, until: int) -> str:
    signed = tokens.sign(_key(settings), PURPOSE, f"card:{membership_id}:{until}")
    return signed.rpartition(".")[2]


def valid(
    settings: Settings, membership_id: int, until: int, given: str, *, now: datetime | None = None
) -> bool:
    if (now or utcnow()).timestamp() > until:
        return False
    payload = f"card:{membership_id}:{until}"
    return tokens.unsign(_key(settings), PURPOSE, f"{payload}.{given}") == payload


def card_update_url(settings: Settings, membership_id: int, *, now: datetime | None = None) -> str:
    until = int(((now or utcnow()) + timedelta(days=LINK_DAYS)).timestamp())
    sig = signature(settings, membership_id, until)
    return f"{settings.SITE_URL}/mail/card/{membership_id}?until={until}&sig={sig}"


async def card_update_portal(state: AppState, membership_id: int) -> str | None:
    """A billing-portal session where the member updates the card; None if the membership
    has no customer or Stripe would not open one."""
    async with state.db.session() as session:
        customer = (await execute(session, _CUSTOMER, {"membership": membership_id})).scalar()
    if not isinstance(customer, str):
        return None
    try:
        portal = await state.stripe.v1.billing_portal.sessions.create_async(
            {
                "customer": customer,
                "return_url": state.settings.SITE_URL + "/contribute",
                "flow_data": {"type": "payment_method_update"},
            }
        )
    except stripe.StripeError:
        logger.warning("billing portal unavailable for membership %s", membership_id, exc_info=True)
        return None
    return str(portal.url)
