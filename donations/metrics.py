"""Prometheus metrics: what GET /metrics serves, in the text exposition format.

    donations_http_request_duration_seconds{route, method, status}  histogram
    donations_checkouts_total{via, outcome}                          counter
    donations_webhook_deliveries_total{type, outcome}                counter   (webhooks/metrics.py)
    donations_webhook_processing_seconds{outcome}                    histogram (webhooks/metrics.py)
    donations_webhook_events_unprocessed{status}                     gauge, failed / pending now
    donations_webhook_oldest_unprocessed_seconds{status}             gauge, age of the oldest

Every label takes a closed set of values: a route's template ("/admin/export/{report}.csv",
never the path asked for), a method, a status code, an outcome, an event type the ledger
reads. Never a personal field (an email, a name, a source) and never an id.

The two inbox gauges are read from the database at each scrape (the failed and pending rows
only, through the status index), so every worker answers the same. The counters live in the
process: with `donations serve --workers N`, serve gives the workers a fresh
PROMETHEUS_MULTIPROC_DIR and prometheus-client's multiprocess mode adds up every worker's
files at each scrape, whichever worker answers it (process_* and python_* metrics are then
left out: they describe one process).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from donations.db import Database
from donations.inbox_status import Backlog, unprocessed

logger = logging.getLogger(__name__)

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# A scrape waits this long for the inbox's counts, then answers without them.
INBOX_READ_SECONDS = 2.0

HTTP_REQUESTS = Histogram(
    "donations_http_request_duration_seconds",
    "Time to answer a request, to the last byte of the body, by route template.",
    ["route", "method", "status"],
)
CHECKOUTS = Counter(
    "donations_checkouts",
    "Attempts to start a checkout (form or JSON API), by outcome.",
    ["via", "outcome"],
)


# Every label set is closed (see above); the bound only guards against a mistake.
@lru_cache(maxsize=1024)
def request_timer(route: str, method: str, status: int) -> Any:
    """HTTP_REQUESTS' series for one route, method and status, looked up once: `labels()`
    checks, joins and locks on every call, ~3 µs of each request (bench/PROFILE.md, seventh
    pass)."""
    return HTTP_REQUESTS.labels(route=route, method=method, status=str(status))


def multiprocess() -> bool:
    """Whether prometheus-client writes this process's values to files (it decides when it is
    first imported, from the environment)."""
    return MULTIPROCESS_DIR in os.environ


def prepare_multiprocess_dir(path: Path) -> None:
    """Make `path` the workers' metrics directory, emptied of an earlier run's files (their
    counts would be added to this run's), before any worker starts."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROCESS_DIR] = str(path)


class _Inbox:
    """The inbox gauges of one scrape, read before it."""

    def __init__(self, backlog: dict[str, Backlog], now: datetime) -> None:
        self.backlog = backlog
        self.now = now

    def collect(self) -> Iterable[Metric]:
        events = GaugeMetricFamily(
            "donations_webhook_events_unprocessed",
            "Stripe events stored and not processed now: failed (waiting for a replay) or "
            "pending (their process died mid-event).",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "donations_webhook_oldest_unprocessed_seconds",
            "Age of the oldest failed or pending event (0 when there is none).",
            labels=["status"],
        )
        for status, backlog in self.backlog.items():
            events.add_metric([status], backlog.count)
            since = backlog.oldest_received_at
            oldest.add_metric([status], (self.now - since).total_seconds() if since else 0.0)
        return [events, oldest]


async def _read_inbox(db: Database, now: datetime) -> _Inbox | None:
    try:
        async with asyncio.timeout(INBOX_READ_SECONDS), db.session() as session:
            backlog = await unprocessed(session=session)
    except Exception as error:
        # The process's own counters are still worth a scrape when the database is not.
        logger.warning("metrics: inbox not read", extra={"error": type(error).__name__})
        return None
    return _Inbox({str(status): counts for status, counts in backlog.items()}, now)


async def exposition(db: Database, now: datetime) -> bytes:
    """Every metric, in Prometheus's text format."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    inbox = await _read_inbox(db, now)
    if inbox is None:
        return counted
    scrape = CollectorRegistry()
    scrape.register(inbox)
    return counted + generate_latest(scrape)
