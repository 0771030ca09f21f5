"""How many Checkout Sessions one client may start: card testers love donation forms.

CHECKOUT_RATE_LIMIT ("10/minute") is what one client may do against the whole service,
however many worker processes serve it:

- With REDIS_URL, every process counts in Redis: one shared count, the full rate.
- Without it, each process counts in its own memory, so each allows the rate divided by
  WEB_CONCURRENCY (the worker count `donations serve --workers` sets), rounded down, at least
  1: 10/minute over 2 workers is 5/minute in each, never 10 in each.
- When Redis fails (down, refused, too slow: 1 s), the process does not fail open: it counts
  in its own memory at the divided rate until Redis answers again, trying Redis again every
  REDIS_RETRY_SECONDS meanwhile rather than on every request. One warning when the outage
  begins and one line when it ends, never one per request.

A client who spreads attempts over the workers of a Redis-less service gets at most the
setting in total; a client who stays on one worker gets less. That is the side to err on.

Both count in a moving window: an attempt is allowed while fewer than the rate's amount were
allowed in the window before it. In Redis the `limits` library counts; in memory,
`MemoryWindow` does, in the event loop, forgetting old attempts as it meets them (the
`limits` in-memory storage scheduled an expiry task on every hit, which took a lock and ran
a thread hand-off per checkout: bench/PROFILE.md, fifth pass). `ProcessBudget` is the same
counting for one process-wide budget, not per client: the thanks page's Stripe lookups.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from donations.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE = "donations-checkout"
# A Redis that has not answered within this long is down, as far as a reader's wait goes.
REDIS_TIMEOUT_SECONDS = 1.0
# During an outage, how often one request tries Redis again.
REDIS_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until another attempt would be allowed (the Retry-After header).
    retry_after: int


def per_process(item: RateLimitItem, workers: int) -> RateLimitItem:
    """`item` divided among `workers` processes that cannot share a count."""
    return type(item)(max(1, item.amount // workers), item.multiples, item.namespace)


class MemoryWindow:
    """`item`'s moving window per key, in this process's memory.

    Each key keeps the times of its allowed attempts inside the window (at most the rate's
    amount); older ones are dropped when the key is next hit, and keys with none left are
    swept once per window, so memory follows the clients of the last window only."""

    def __init__(self, item: RateLimitItem, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.item = item
        self.clock = clock
        self.amount = item.amount
        self.seconds = float(item.get_expiry())
        self.hits: dict[str, deque[float]] = {}
        self.sweep_at = clock() + self.seconds

    async def hit(self, key: str) -> Verdict:
        now = self.clock()
        if now >= self.sweep_at:
            self._sweep(now)
        since = now - self.seconds
        times = self.hits.get(key)
        if times is None:
            times = self.hits[key] = deque()
        while times and times[0] <= since:
            times.popleft()
        if len(times) < self.amount:
            times.append(now)
            return Verdict(allowed=True, retry_after=0)
        return Verdict(allowed=False, retry_after=max(1, math.ceil(times[0] - since)))

    def _sweep(self, now: float) -> None:
        since = now - self.seconds
        self.hits = {key: times for key, times in self.hits.items() if times[-1] > since}
        self.sweep_at = now + self.seconds


class _SharedCounter:
    """The `limits` moving window in Redis, answering Verdicts."""

    def __init__(self, storage: RedisStorage, item: RateLimitItem) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = item

    async def hit(self, key: str) -> Verdict:
        if await self.limiter.hit(self.item, NAMESPACE, key):
            return Verdict(allowed=True, retry_after=0)
        stats = await self.limiter.get_window_stats(self.item, NAMESPACE, key)
        return Verdict(allowed=False, retry_after=max(1, math.ceil(stats.reset_time - time.time())))


class CheckoutRateLimiter:
    """CHECKOUT_RATE_LIMIT ("10/minute") per client address, in `limits` notation."""

    def __init__(self, rate: str, redis_url: str | None, *, workers: int = 1) -> None:
        self.item = parse(rate)
        self.local = MemoryWindow(per_process(self.item, workers))
        self.shared: _SharedCounter | None = None
        self.pool: ConnectionPool | None = None
        # While Redis is down: when to try it again (time.monotonic()); None when it is up.
        self.retry_redis_at: float | None = None
        if redis_url:
            # Our own pool, so that shutdown can close its connections (aclose). limits
            # types its **options as scalars, hence the ignore.
            self.pool = ConnectionPool.from_url(
                redis_url,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
            )
            storage = RedisStorage(
                _storage_uri(redis_url),
                implementation="redispy",
                connection_pool=self.pool,  # type: ignore[arg-type]
            )
            self.shared = _SharedCounter(storage, self.item)

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckoutRateLimiter:
        return cls(
            settings.CHECKOUT_RATE_LIMIT, settings.REDIS_URL, workers=settings.WEB_CONCURRENCY
        )

    async def hit(self, client: str) -> Verdict:
        if self.shared is None:
            return await self.local.hit(client)
        if self.retry_redis_at is not None and time.monotonic() < self.retry_redis_at:
            return await self.local.hit(client)
        try:
            verdict = await self.shared.hit(client)
        except RedisError as error:
            self._redis_down(error)
            return await self.local.hit(client)
        if self.retry_redis_at is not None:
            self.retry_redis_at = None
            logger.warning("rate limiter: Redis answers again; counting there")
        return verdict

    def _redis_down(self, error: RedisError) -> None:
        if self.retry_redis_at is None:
            logger.warning(
                "rate limiter: Redis unavailable (%s); counting in this process at %s "
                "until it answers",
                type(error).__name__,
                self.local.item,
            )
        self.retry_redis_at = time.monotonic() + REDIS_RETRY_SECONDS

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.disconnect()


class AccountLimits:
    """Sign-in emails a supporter's account sends: per email address and per client address
    (ACCOUNT_EMAIL_RATE_LIMIT, ACCOUNT_CLIENT_RATE_LIMIT), counted like the checkout's."""

    def __init__(self, settings: Settings) -> None:
        workers = settings.WEB_CONCURRENCY
        self.per_email = CheckoutRateLimiter(
            settings.ACCOUNT_EMAIL_RATE_LIMIT, settings.REDIS_URL, workers=workers
        )
        self.per_client = CheckoutRateLimiter(
            settings.ACCOUNT_CLIENT_RATE_LIMIT, settings.REDIS_URL, workers=workers
        )

    async def aclose(self) -> None:
        await self.per_email.aclose()
        await self.per_client.aclose()


class ProcessBudget:
    """`rate` calls for the whole process, whoever asks: `take()` is True while some is left."""

    def __init__(self, rate: str, *, workers: int = 1) -> None:
        self.counter = MemoryWindow(per_process(parse(rate), workers))

    async def take(self) -> bool:
        return (await self.counter.hit("process")).allowed


def _storage_uri(redis_url: str) -> str:
    # limits names its asyncio storages "async+<scheme>" (rediss:// keeps TLS).
    return "async+" + redis_url
