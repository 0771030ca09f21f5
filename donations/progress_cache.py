"""The process's store of public progress figures (donations/reports/live.py fills and serves
it): per campaign, the figure with its encoded JSON body and strong ETag, when it expires, the
lock first computations wait on, and the background recompute in flight."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from donations.state import AppState

TTL_SECONDS = 5.0

# What computes a figure: (state, campaign slug or None for the current one, now).
Compute = Callable[["AppState", str | None, datetime], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Figure:
    """A progress figure as served: the JSON, its encoded body and its strong ETag."""

    progress: dict[str, Any]
    body: bytes
    etag: str


def encoded(progress: dict[str, Any]) -> Figure:
    body = json.dumps(progress, separators=(",", ":")).encode()
    # Strong: the same bytes always get the same tag (RFC 9110 §8.8.3).
    return Figure(progress, body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@dataclass
class Entry:
    figure: Figure | None  # None: no campaign at all yet (only for the current campaign)
    expires: float


@dataclass
class ProgressCache:
    ttl: float = TTL_SECONDS
    # What computes a figure; None: the report's own (live.compute_progress). Tests pass one
    # that waits, to hold a recompute open.
    compute: Compute | None = None
    entries: dict[str | None, Entry] = field(default_factory=dict)
    # First computations, which requests wait for.
    locks: dict[str | None, asyncio.Lock] = field(default_factory=dict)
    # Background recomputes in flight: at most one per campaign. Holding the task here also
    # keeps it from being garbage-collected while it runs (asyncio.create_task's docs).
    refreshes: dict[str | None, asyncio.Task[None]] = field(default_factory=dict)

    async def aclose(self) -> None:
        """On shutdown (AppState.aclose): stop recomputes before the database goes away."""
        for task in self.refreshes.values():
            task.cancel()
        await asyncio.gather(*self.refreshes.values(), return_exceptions=True)
        self.refreshes.clear()
