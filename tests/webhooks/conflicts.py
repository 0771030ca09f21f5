"""A ledger row that makes an event fail: how most tests provoke a handler error."""

from __future__ import annotations

from datetime import UTC, datetime

from donations.db import Database
from donations.models import Payment

IMPORTED_AT = datetime(2026, 1, 5, tzinfo=UTC)
IMPORTED_PAYMENT_INTENT = "pi_imported"


async def import_payment_claiming(db: Database, charge: str) -> None:
    """A €1.00 payment imported by hand that already claims `charge`: a gift paid with that
    charge cannot be booked (LedgerConflict), so its event fails until this row goes."""
    async with db.writing_session() as session:
        session.add(
            Payment(
                kind="one_off",
                amount=100,
                currency="eur",
                paid_at=IMPORTED_AT,
                stripe_payment_intent_id=IMPORTED_PAYMENT_INTENT,
                stripe_charge_id=charge,
            )
        )
