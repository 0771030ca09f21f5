"""The progress figure for public pages (the reader's /contribute, /api/progress, the widget).

Every page view wants it and it only moves when money does, so each process keeps, per
campaign, the figure together with its encoded JSON body and strong ETag: a request is a
dict lookup. The figure is stale-while-revalidate (RFC 5861's idea, inside the process):
once it is older than TTL_SECONDS the next request starts ONE background recompute and
every request goes on getting the previous figure until the new one is ready, so no reader
waits behind a recompute (which takes most of a second on a million-payment ledger). Only
the very first request for a campaign waits, and concurrent first requests share that one
computation. A failed recompute is logged and the previous figure is served for another
TTL. So a figure is at most TTL_SECONDS plus one recompute old; nothing here needs to agree
across processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from donations.campaigns import todays_campaign
from donations.models import utcnow
from donations.progress_cache import Entry, Figure, ProgressCache, encoded
from donations.reports.progress import campaign_progress
from donations.state import AppState

logger = logging.getLogger(__name__)


async def compute_progress(
    state: AppState, campaign_slug: str | None, now: datetime
) -> dict[str, Any] | None:
    settings = state.settings
    async with state.reports_db.session() as session:
        campaign = await todays_campaign(
            session=session, slug=campaign_slug, zone=settings.report_zone, now=now
        )
        if campaign is None:
            return None
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone=settings.REPORT_TIMEZONE, now=now
        )
        return progress.public_json()


async def _computed(
    state: AppState, cache: ProgressCache, campaign_slug: str | None
) -> Figure | None:
    compute = cache.compute or compute_progress
    progress = await compute(state, campaign_slug, utcnow())
    return None if progress is None else encoded(progress)


def _remember(cache: ProgressCache, campaign_slug: str | None, figure: Figure | None) -> None:
    if figure is None and campaign_slug is not None:
        # Unknown slugs are not remembered: anyone can make up endless ones. Looking one up
        # is a unique-index probe, not a scan.
        cache.entries.pop(campaign_slug, None)
        cache.locks.pop(campaign_slug, None)
        return
    cache.entries[campaign_slug] = Entry(figure, time.monotonic() + cache.ttl)


async def _refresh(state: AppState, cache: ProgressCache, campaign_slug: str | None) -> None:
    try:
        figure = await _computed(state, cache, campaign_slug)
    except Exception:
        # Readers keep the previous figure; try again after another TTL rather than at once,
        # so a database in trouble is not asked again on every request.
        logger.exception("recomputing progress of %s failed", campaign_slug or "current campaign")
        entry = cache.entries.get(campaign_slug)
        if entry is not None:
            entry.expires = time.monotonic() + cache.ttl
    else:
        _remember(cache, campaign_slug, figure)
    finally:
        cache.refreshes.pop(campaign_slug, None)


def known_entry(state: AppState, campaign_slug: str | None = None) -> Entry | None:
    """The campaign's entry if one was computed (starting its recompute once it is past its
    TTL), without waiting for anything; None if none was computed yet."""
    cache = state.progress_cache
    entry = cache.entries.get(campaign_slug)
    expired = entry is not None and entry.expires <= time.monotonic()
    if expired and campaign_slug not in cache.refreshes:
        cache.refreshes[campaign_slug] = asyncio.create_task(_refresh(state, cache, campaign_slug))
    return entry


async def cached_figure(state: AppState, campaign_slug: str | None = None) -> Figure | None:
    """The campaign's (or the current one's) figure as served; None if there is none."""
    cache = state.progress_cache
    entry = known_entry(state, campaign_slug)
    if entry is not None:
        return entry.figure
    lock = cache.locks.setdefault(campaign_slug, asyncio.Lock())
    async with lock:
        # Another request may have computed it while this one waited for the lock.
        entry = cache.entries.get(campaign_slug)
        if entry is not None:
            return entry.figure
        figure = await _computed(state, cache, campaign_slug)
        _remember(cache, campaign_slug, figure)
        return figure


async def current_progress(
    state: AppState, campaign_slug: str | None = None
) -> dict[str, Any] | None:
    """The public progress JSON of the campaign (or the current one); None if none.

    The dict is shared by every reader: don't change it."""
    figure = await cached_figure(state, campaign_slug)
    return None if figure is None else figure.progress
