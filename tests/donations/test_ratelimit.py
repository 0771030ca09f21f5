"""Session creation is limited per client: in memory, and shared through the real Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
import redis

from donations.app import create_app
from donations.ratelimit import CheckoutRateLimiter
from donations.settings import Settings
from tests.support.environment import require_redis
from tests.support.servers import free_port, serve_in_thread

# This suite's own Redis database: the count must start from nothing.
REDIS_URL = os.environ.get("CHECKOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def redis_url() -> Iterator[str]:
    require_redis()
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


@pytest.mark.asyncio
async def test_memory_limiter_counts_each_client_apart() -> None:
    limiter = CheckoutRateLimiter("3/minute", None)
    verdicts = [await limiter.hit("203.0.113.7") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert (await limiter.hit("203.0.113.8")).allowed


@pytest.mark.asyncio
async def test_redis_limiters_share_one_count(redis_url: str) -> None:
    first = CheckoutRateLimiter("2/minute", redis_url)
    second = CheckoutRateLimiter("2/minute", redis_url)
    assert (await first.hit("198.51.100.1")).allowed
    assert (await second.hit("198.51.100.1")).allowed
    refused = await first.hit("198.51.100.1")
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    assert (await second.hit("198.51.100.2")).allowed
    await first.aclose()
    await second.aclose()


@pytest.mark.asyncio
async def test_a_redis_outage_lets_readers_through() -> None:
    limiter = CheckoutRateLimiter("1/minute", f"redis://127.0.0.1:{free_port()}/0")
    verdicts = [await limiter.hit("203.0.113.7") for _ in range(2)]
    assert [v.allowed for v in verdicts] == [True, True]
    await limiter.aclose()


@contextmanager
def app_instance(database_url: str, **overrides: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CHECKOUT_RATE_LIMIT="3/minute",
        **overrides,  # type: ignore[arg-type]
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.mark.asyncio
async def test_two_app_instances_share_the_limit_through_redis(
    database_url: str, redis_url: str
) -> None:
    body = {"amount": 500, "currency": "eur", "frequency": "one_off"}
    with ExitStack() as stack:
        first = stack.enter_context(app_instance(database_url, REDIS_URL=redis_url))
        second = stack.enter_context(app_instance(database_url, REDIS_URL=redis_url))
        async with httpx.AsyncClient() as http:
            answers = [
                await http.post(f"{url}/api/checkout-sessions", json=body)
                for url in (first, second, first, second)
            ]
            form = await http.post(
                f"{first}/contribute",
                data={"frequency": "one_off", "amount": "5", "currency": "eur"},
                headers={"Origin": first},
            )
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert form.status_code == 429
    assert form.headers["retry-after"]
    assert "Too many attempts from your connection." in form.text


@pytest.mark.asyncio
async def test_without_redis_each_instance_counts_alone(database_url: str) -> None:
    body = {"amount": 500, "currency": "eur", "frequency": "one_off"}
    with ExitStack() as stack:
        first = stack.enter_context(app_instance(database_url))
        second = stack.enter_context(app_instance(database_url))
        async with httpx.AsyncClient() as http:
            answers = [
                await http.post(f"{url}/api/checkout-sessions", json=body)
                for url in (first, first, first, first, second)
            ]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 201]
