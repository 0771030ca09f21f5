"""The kinds of message to readers, and the words about money they share.

Each kind has three templates in donations/templates/mail/ (a newsroom overrides any of them
with a file of the same name in MAIL_TEMPLATES_DIR): `<kind>.subject.txt`, `<kind>.txt` (the
plain text every mail program shows) and `<kind>.html`. MAIL_DISABLED_KINDS switches kinds off.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    receipt = "receipt"  # every payment: a one-off gift, a membership's first and each renewal
    welcome = "welcome"  # a new member
    renewal_reminder = "renewal_reminder"  # an annual membership renews in 7 days
    renewal_failed = "renewal_failed"  # a renewal's card was declined: update it here
    cancellation = "cancellation"  # a membership was cancelled, or will end at its period end
    refund = "refund"  # money went back to the reader
    statement = "statement"  # a year of giving, for the tax return


def how_often(interval: str | None, count: int = 1) -> str:
    """ "monthly", "annual", "every 3 months"; "one-off" when there is no interval."""
    if interval is None:
        return "one-off"
    if count == 1:
        return {"day": "daily", "week": "weekly", "month": "monthly", "year": "annual"}.get(
            interval, interval
        )
    return f"every {count} {interval}s"
