"""Migration 20261202_0002 carries a ledger booked under the old rules to the new ones: the
amounts booked stay, inquiries stop counting, chargebacks keep counting, won ones are back;
every payment's PaymentIntent and charge become its keys; 32-bit columns become 64-bit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from donations import migrations
from donations.db import Database, create_sync_engine
from donations.models import Campaign
from donations.reports.progress import campaign_progress
from tests.support import databases

BEFORE = "0001"
REVISION = "20261202_0002"
PAID = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DISPUTED = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


def _old_ledger(url: str) -> None:
    """Five €20.00 gifts; a refund each of two, one succeeded, one failed; a dispute each of
    four: an inquiry, an open chargeback, a lost and a won one."""
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        for n in range(1, 6):
            connection.execute(
                text(
                    "INSERT INTO payment (id, kind, amount, currency, paid_at, "
                    "stripe_payment_intent_id, stripe_charge_id, created_at) "
                    "VALUES (:n, 'one_off', 2000, 'eur', :paid, :pi, :ch, :paid)"
                ),
                {"n": n, "paid": PAID, "pi": f"pi_{n}", "ch": f"ch_{n}"},
            )
        for n, status in ((1, "succeeded"), (2, "failed")):
            connection.execute(
                text(
                    "INSERT INTO refund (stripe_refund_id, stripe_charge_id, payment_id, amount, "
                    "currency, status, refunded_at, state_event_created, state_event_rank, "
                    "created_at) VALUES (:id, :ch, :n, 500, 'eur', :status, :at, 0, 0, :at)"
                ),
                {"id": f"re_{n}", "ch": f"ch_{n}", "n": n, "status": status, "at": DISPUTED},
            )
        for n, status in (
            (2, "warning_needs_response"), (3, "needs_response"), (4, "lost"), (5, "won")
        ):  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO dispute (stripe_dispute_id, stripe_charge_id, payment_id, "
                    "amount, currency, status, disputed_at, state_event_created, "
                    "state_event_rank, created_at) "
                    "VALUES (:id, :ch, :n, 2000, 'eur', :status, :at, 0, 0, :at)"
                ),
                {"id": f"dp_{n}", "ch": f"ch_{n}", "n": n, "status": status, "at": DISPUTED},
            )
    engine.dispose()


@pytest.mark.asyncio
async def test_a_ledger_booked_under_the_old_rules_counts_by_the_new_ones(tmp_path: Path) -> None:
    url = databases.scratch_url(tmp_path)
    migrations.upgrade(url, BEFORE)
    _old_ledger(url)
    migrations.upgrade(url, REVISION)
    engine = create_sync_engine(url)
    with engine.connect() as connection:
        disputes = connection.execute(
            text(
                "SELECT stripe_dispute_id, withdrawn_at IS NOT NULL, reinstated_at IS NOT NULL "
                "FROM dispute ORDER BY stripe_dispute_id"
            )
        ).all()
        keys = connection.execute(text("SELECT key FROM payment_key ORDER BY key")).scalars()
        keys = list(keys)
        refunds = connection.execute(
            text("SELECT stripe_refund_id, once_succeeded FROM refund ORDER BY stripe_refund_id")
        ).all()
    engine.dispose()
    assert [tuple(row) for row in disputes] == [
        ("dp_2", False, False),  # an inquiry never withdrew anything
        ("dp_3", True, False),
        ("dp_4", True, False),
        ("dp_5", True, True),
    ]
    assert keys == sorted([f"pi_{n}" for n in range(1, 6)] + [f"ch_{n}" for n in range(1, 6)])
    assert [tuple(row) for row in refunds] == [("re_1", True), ("re_2", False)]
    migrations.upgrade(url)
    db = Database(url)
    try:
        async with db.session() as session:
            campaign = Campaign(
                slug="2026", name="2026", currency="eur", target=10_000_000_000,
                starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
            )  # fmt: skip
            progress = await campaign_progress(
                session=session, campaign=campaign, timezone="UTC", now=datetime.now(UTC)
            )
    finally:
        await db.dispose()
    # Gross 5 × €20.00; refunded €5.00 (the failed one never counted); disputed the open and
    # the lost chargeback (the inquiry no longer counts, the won one is back).
    assert (progress.totals.gross, progress.totals.refunded, progress.totals.disputed) == (
        10000, 500, 4000
    )  # fmt: skip
    # A target beyond 32 bits is kept now.
    assert progress.campaign.target == 10_000_000_000
