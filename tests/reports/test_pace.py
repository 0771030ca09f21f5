"""The pace chart's points: one per day (or week) begun so far, in the report's zone."""

from __future__ import annotations

from datetime import date

import pytest

from donations.db import Database
from donations.models import Campaign
from donations.reports.pace import campaign_pace

pytestmark = pytest.mark.asyncio

JUNE = Campaign(
    slug="june",
    name="June drive",
    currency="eur",
    target=100_000,
    starts_on=date(2026, 6, 1),
    ends_on=date(2026, 6, 30),
)


async def test_points_stop_at_today_in_the_report_zone(db: Database) -> None:
    # Dublin is UTC+1 in June: 11 June begins at 23:00 UTC on the 10th, and is not shown.
    # Which points there are does not depend on the ledger: an empty one will do.
    async with db.session() as session:
        points = await campaign_pace(
            session=session, campaign=JUNE, timezone="Europe/Dublin", today=date(2026, 6, 10)
        )
    assert [point.label for point in points] == [f"2026-06-{day:02d}" for day in range(1, 11)]
