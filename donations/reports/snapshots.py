"""Snapshots: progress stored now (by cron, `donations report snapshot`) to chart history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import Campaign, ReportSnapshot
from donations.reports.progress import campaign_progress


@dataclass(frozen=True)
class StoredSnapshot:
    campaign: str
    currency: str
    taken_at: datetime
    net: int
    payments: int


async def take_snapshots(
    *, session: AsyncSession, timezone: str, now: datetime
) -> list[StoredSnapshot]:
    """One report_snapshot row per campaign, all in one transaction."""
    campaigns = (await session.exec(select(Campaign).order_by(col(Campaign.slug)))).all()
    stored: list[StoredSnapshot] = []
    rows: list[ReportSnapshot] = []
    for campaign in campaigns:
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone=timezone, now=now
        )
        figures = progress.as_json()
        assert campaign.id is not None
        rows.append(
            ReportSnapshot(
                campaign_id=campaign.id,
                taken_at=now,
                gross=figures["gross"],
                refunded=figures["refunded"],
                disputed=figures["disputed"],
                net=figures["net"],
                payments=figures["payments"],
                supporters=figures["supporters"],
                payload=json.dumps(figures, separators=(",", ":")),
            )
        )
        stored.append(
            StoredSnapshot(
                campaign.slug, campaign.currency, now, figures["net"], figures["payments"]
            )
        )
    session.add_all(rows)
    await session.commit()
    return stored


async def snapshot_history(
    *, session: AsyncSession, campaign: Campaign, limit: int = 200
) -> list[ReportSnapshot]:
    """The latest `limit` snapshots of the campaign, oldest first."""
    statement = (
        select(ReportSnapshot)
        .where(ReportSnapshot.campaign_id == campaign.id)
        .order_by(col(ReportSnapshot.taken_at).desc())
        .limit(limit)
    )
    return list(reversed((await session.exec(statement)).all()))
