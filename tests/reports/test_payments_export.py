"""The admin's payments CSV holds exactly the payments of its range, however many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from donations.db import Database
from donations.models import Payment, Supporter
from donations.staff import add_staff
from tests.reports.ledger_fixtures import add_the_campaign

NAME, PASSWORD = "ana", "correct horse battery"
# Dublin is on GMT in February: its days are UTC days.
FEBRUARY = datetime(2026, 2, 1, tzinfo=UTC)


async def add_payments(db: Database) -> None:
    """Three a day for February (84), and ten each in the days before and after it; the last
    of February's by a giver who asked to stay anonymous."""
    async with db.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        reader = Supporter(email="kim@example.org")
        session.add(reader)
        await session.flush()
        moments = [
            FEBRUARY + timedelta(days=day, hours=8 * n) for day in range(28) for n in range(3)
        ]
        moments += [FEBRUARY - timedelta(hours=3 * n + 1) for n in range(10)]
        moments += [FEBRUARY + timedelta(days=28, hours=3 * n) for n in range(10)]
        session.add_all(
            Payment(kind="one_off", amount=1000 + number, currency="eur", paid_at=moment,
                    stripe_payment_intent_id=f"pi_{number}", supporter_id=reader.id,
                    anonymous=number == 83)
            for number, moment in enumerate(moments)
        )  # fmt: skip
        await session.commit()


@pytest.mark.asyncio
async def test_the_payments_csv_holds_every_payment_of_its_range_and_no_other(
    db: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_the_campaign(db)
    await add_payments(db)
    response = await dublin_client.get(
        "/admin/export/payments.csv?from=2026-02-01&to=2026-02-28", auth=(NAME, PASSWORD)
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="payments-2026-02-01-2026-02-28.csv"'
    )
    header, *rows = response.text.splitlines()
    # The columns programs read by position, then `anonymous`, added at the end.
    assert header == "paid_at,kind,amount,currency,source,email,anonymous"
    assert len(rows) == 84
    # Newest first, from the last payment of the 28th to the first of the 1st.
    assert rows[0] == "2026-02-28T16:00:00Z,one_off,10.83,eur,,k***@example.org,yes"
    assert rows[1] == "2026-02-28T08:00:00Z,one_off,10.82,eur,,k***@example.org,"
    assert rows[-1] == "2026-02-01T00:00:00Z,one_off,10.00,eur,,k***@example.org,"
    # Major units beside the currency: what a spreadsheet sums.
    total = sum(Decimal(row.split(",")[2]) for row in rows)
    assert total == Decimal(84 * 1000 + 83 * 84 // 2) / 100
