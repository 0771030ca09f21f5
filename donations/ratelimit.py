"""How many Checkout Sessions one client may start: card testers love donation forms.

The count lives in Redis when REDIS_URL is set, so every app process shares it (DESIGN.md,
"Scale"); otherwise in this process's memory. The `limits` library does the counting.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from donations.settings import Settings
from donations.web.state import AppState

logger = logging.getLogger(__name__)

NAMESPACE = "donations-checkout"
_EXTRAS_KEY = __name__


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Whole seconds until another attempt would be allowed (the Retry-After header).
    retry_after: int


class CheckoutRateLimiter:
    """CHECKOUT_RATE_LIMIT ("10/minute") per client address, in `limits` notation."""

    def __init__(self, rate: str, redis_url: str | None) -> None:
        self.item = parse(rate)
        self.pool: ConnectionPool | None = None
        self.storage: Storage = MemoryStorage()
        if redis_url:
            # Our own pool, so that shutdown can close its connections (aclose). limits
            # types its **options as scalars, hence the ignore.
            self.pool = ConnectionPool.from_url(redis_url)
            self.storage = RedisStorage(
                _storage_uri(redis_url),
                implementation="redispy",
                connection_pool=self.pool,  # type: ignore[arg-type]
            )
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, client: str) -> Verdict:
        try:
            if await self.limiter.hit(self.item, NAMESPACE, client):
                return Verdict(allowed=True, retry_after=0)
            stats = await self.limiter.get_window_stats(self.item, NAMESPACE, client)
        except RedisError:
            # Fail open: a Redis outage must not stop readers giving; Stripe's own limits stay.
            logger.warning("rate limiter unavailable; letting the checkout through", exc_info=True)
            return Verdict(allowed=True, retry_after=0)
        return Verdict(allowed=False, retry_after=max(1, math.ceil(stats.reset_time - time.time())))

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.disconnect()


def _storage_uri(redis_url: str) -> str:
    # limits names its asyncio storages "async+<scheme>" (rediss:// keeps TLS).
    return "async+" + redis_url


def checkout_limiter(state: AppState) -> CheckoutRateLimiter:
    """The process's limiter, made on first use from the settings."""
    limiter = state.extras.get(_EXTRAS_KEY)
    if limiter is None:
        limiter = state.extras[_EXTRAS_KEY] = from_settings(state.settings)
    assert isinstance(limiter, CheckoutRateLimiter)
    return limiter


def from_settings(settings: Settings) -> CheckoutRateLimiter:
    return CheckoutRateLimiter(settings.CHECKOUT_RATE_LIMIT, settings.REDIS_URL)
