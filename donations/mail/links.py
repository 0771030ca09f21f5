"""Signed links in messages: the reader's card-update link in a failed-renewal note.

    card_update_url(settings, membership_id) -> "{SITE_URL}/mail/card/{id}?sig=…"
    valid(settings, membership_id, signature) -> bool

The link names the membership and carries an HMAC of it, so nobody can guess another
reader's; opening it (donations/web/mail_links.py) creates a Stripe billing-portal session
for the membership's customer at that moment (a portal session expires, a mail may be read
days later) and redirects there. The key is derived from STRIPE_SECRET_KEY (or, with the
emulator, the webhook secret): a server-side secret that production always has. Rotating
the Stripe key retires the links already sent; the portal's login link still works.
"""

from __future__ import annotations

import hashlib
import hmac

from donations.settings import Settings

PURPOSE = b"newsroom-donations card-update link v1"


def _key(settings: Settings) -> bytes:
    secret = settings.STRIPE_SECRET_KEY or settings.STRIPE_WEBHOOK_SECRET or "whsec_local_emulator"
    return hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()


def signature(settings: Settings, membership_id: int) -> str:
    mac = hmac.new(_key(settings), f"card:{membership_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def valid(settings: Settings, membership_id: int, given: str) -> bool:
    return hmac.compare_digest(signature(settings, membership_id), given)


def card_update_url(settings: Settings, membership_id: int) -> str:
    return f"{settings.SITE_URL}/mail/card/{membership_id}?sig={signature(settings, membership_id)}"
