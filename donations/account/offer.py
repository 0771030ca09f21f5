"""The offer to make a one-off gift monthly: a signed link to a prefilled monthly checkout.

The thanks page after a one-off gift, and the account of a reader who gives only one-off,
link to `/account/monthly?offer=…`. The offer names the amount and currency (the gift's), the
Checkout Session it follows (so the monthly checkout is prefilled with the same email), and
when it stops being good; it is signed, so nobody can make one for an amount we never offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from donations.account.tokens import sign, unsign

PURPOSE = "monthly-offer"
LASTS = timedelta(days=14)
NO_SESSION = "-"
SOURCE = "monthly_offer"


@dataclass(frozen=True)
class MonthlyOffer:
    amount: int
    currency: str
    # The one-off gift's Checkout Session, or None (an offer made on the account page).
    session_id: str | None
    expires_at: int  # unix seconds


def make(key: bytes, *, amount: int, currency: str, session_id: str | None, now: datetime) -> str:
    expires = int((now + LASTS).timestamp())
    payload = f"{amount}:{currency}:{expires}:{session_id or NO_SESSION}"
    return sign(key, PURPOSE, payload)


def link(key: bytes, *, amount: int, currency: str, session_id: str | None, now: datetime) -> str:
    """The path of the offer's page."""
    signed = make(key, amount=amount, currency=currency, session_id=session_id, now=now)
    return "/account/monthly?offer=" + quote(signed)


def read(key: bytes, value: str | None, *, now: datetime) -> MonthlyOffer | None:
    """The offer in a link, if we made it and it still holds."""
    payload = unsign(key, PURPOSE, value)
    if payload is None:
        return None
    parts = payload.split(":")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    amount, currency, expires, session_id = parts
    if int(expires) < now.timestamp():
        return None
    return MonthlyOffer(
        int(amount), currency, None if session_id == NO_SESSION else session_id, int(expires)
    )
