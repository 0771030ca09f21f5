"""Money Stripe reported that the ledger does not count, for finance to see: the events stored
with a note saying why (a standalone invoice, a setup-mode session, a connected account's
payment, an invoice paid outside Stripe). Nothing Stripe sends is dropped silently.

Unknown event types and the other mode's events are stored without a note: they are noise,
not money, and are left out.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import StripeEvent
from donations.reports import counting
from donations.reports.windows import iso_utc, report_zone, window

inbox: Table = StripeEvent.__table__  # type: ignore[attr-defined]

COLUMNS = ("created", "event", "type", "object", "amount", "currency", "note")
MONEY_COLUMNS = frozenset({"amount"})
# The fields that say how much an object of each kind was for, in the order tried.
_AMOUNT_FIELDS = ("amount_paid", "amount_total", "amount_received", "amount")


@dataclass(frozen=True)
class UncountedRow:
    created: str
    event: str
    type: str
    object: str
    amount: int | None
    currency: str | None
    note: str

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


async def stream_uncounted(
    *, session: AsyncSession, first_day: date, last_day: date, timezone: str
) -> AsyncIterator[UncountedRow]:
    span = window(first_day, last_day, report_zone(timezone))
    statement = (
        select(inbox.c.id, inbox.c.type, inbox.c.created, inbox.c.payload, inbox.c.note)
        .where(
            inbox.c.note.is_not(None),
            counting.between(
                inbox.c.created, int(span.start.timestamp()), int(span.end.timestamp())
            ),
        )
        .order_by(inbox.c.created, inbox.c.id)
    )
    connection = await counting.connection(session)
    result = await connection.stream(statement)
    async for event_id, event_type, created, payload, note in result:
        obj = (json.loads(payload).get("data") or {}).get("object") or {}
        amount = next((obj[f] for f in _AMOUNT_FIELDS if isinstance(obj.get(f), int)), None)
        currency = obj.get("currency")
        yield UncountedRow(
            created=iso_utc(datetime.fromtimestamp(created, UTC)),
            event=event_id,
            type=event_type,
            object=str(obj.get("id") or ""),
            amount=amount,
            currency=currency.lower() if isinstance(currency, str) else None,
            note=note,
        )
