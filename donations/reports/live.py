"""The progress figure for public pages (the reader's /contribute, /api/progress, the widget).

Every page view wants it and it only moves when money does, so each process computes it
at most once every TTL_SECONDS per campaign: the first request after expiry computes it
under a lock while concurrent requests for the same campaign wait for that one result
(no stampede of identical aggregate queries). Nothing here needs to agree across
processes: each serves a figure at most TTL_SECONDS old.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from donations.campaigns import find_campaign
from donations.models import utcnow
from donations.reports.progress import campaign_progress
from donations.web.state import AppState

TTL_SECONDS = 5.0
EXTRAS_KEY = __name__


@dataclass
class _Entry:
    figure: dict[str, Any] | None
    expires: float


@dataclass
class ProgressCache:
    ttl: float = TTL_SECONDS
    entries: dict[str | None, _Entry] = field(default_factory=dict)
    locks: dict[str | None, asyncio.Lock] = field(default_factory=dict)


def _cache(state: AppState) -> ProgressCache:
    cache = state.extras.get(EXTRAS_KEY)
    if not isinstance(cache, ProgressCache):
        cache = state.extras[EXTRAS_KEY] = ProgressCache()
    return cache


async def _compute(
    state: AppState, campaign_slug: str | None, now: datetime
) -> dict[str, Any] | None:
    timezone = state.settings.REPORT_TIMEZONE
    today = now.astimezone(ZoneInfo(timezone)).date()
    async with state.reports_db.session() as session:
        campaign = await find_campaign(session=session, slug=campaign_slug, today=today)
        if campaign is None:
            return None
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone=timezone, now=now
        )
        return progress.as_json()


async def current_progress(
    state: AppState, campaign_slug: str | None = None
) -> dict[str, Any] | None:
    """The progress JSON of DESIGN.md for the campaign (or the current one); None if none."""
    cache = _cache(state)
    entry = cache.entries.get(campaign_slug)
    if entry is not None and entry.expires > time.monotonic():
        return entry.figure
    lock = cache.locks.setdefault(campaign_slug, asyncio.Lock())
    async with lock:
        # Another request may have computed it while this one waited for the lock.
        entry = cache.entries.get(campaign_slug)
        if entry is not None and entry.expires > time.monotonic():
            return entry.figure
        figure = await _compute(state, campaign_slug, utcnow())
        if figure is None and campaign_slug is not None:
            # Unknown slugs are not remembered: anyone can make up endless ones. Looking one
            # up is a unique-index probe, not a scan.
            cache.locks.pop(campaign_slug, None)
            return None
        cache.entries[campaign_slug] = _Entry(figure, time.monotonic() + cache.ttl)
        return figure
