"""Webhook deliveries as Prometheus metrics (served with the rest at GET /metrics):

    donations_webhook_deliveries_total{type, outcome}   one per delivery that passed the
                                                        signature check
    donations_webhook_processing_seconds{outcome}       from receipt to the answer (queueing
                                                        for the group commit included)

`outcome` is the inbox's (processed, duplicate, ignored, failed); `type` is one of the event
types the ledger reads, or "other", so that the label takes a closed set of values whatever
arrives.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import Counter, Histogram

from webhooks.registry import KNOWN_EVENT_TYPES

OTHER_TYPE = "other"

DELIVERIES = Counter(
    "donations_webhook_deliveries",
    "Verified Stripe webhook deliveries, by event type and what the inbox made of them.",
    ["type", "outcome"],
)
PROCESSING = Histogram(
    "donations_webhook_processing_seconds",
    "Time from a verified delivery's receipt to its answer, by outcome.",
    ["outcome"],
)


def delivered(event_type: str, outcome: str, seconds: float) -> None:
    count, timer = _series(event_type if event_type in KNOWN_EVENT_TYPES else OTHER_TYPE, outcome)
    count.inc()
    timer.observe(seconds)


@cache  # the labels take a closed set of values (see above)
def _series(label: str, outcome: str) -> tuple[Any, Any]:
    """The labelled series of one type and outcome, looked up once: `labels()` checks, joins
    and locks on every call, ~3 µs each (bench/PROFILE.md, seventh pass)."""
    return DELIVERIES.labels(type=label, outcome=outcome), PROCESSING.labels(outcome=outcome)
