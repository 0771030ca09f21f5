"""Session creation is limited per client: in memory, and shared through the real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
import redis

from donations import ratelimit
from donations.app import create_app
from donations.ratelimit import CheckoutRateLimiter
from donations.settings import Settings
from tests.support.environment import require_redis
from tests.support.servers import free_port, serve_in_thread
from tests.support.stalled import silent_server

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
async def test_without_redis_a_process_allows_its_share_of_the_workers() -> None:
    limiter = CheckoutRateLimiter("10/minute", None, workers=2)
    verdicts = [await limiter.hit("203.0.113.7") for _ in range(6)]
    assert [v.allowed for v in verdicts] == [True] * 5 + [False]
    # More workers than the rate: each still lets one attempt through.
    crowded = CheckoutRateLimiter("3/minute", None, workers=8)
    assert [(await crowded.hit("203.0.113.7")).allowed for _ in range(2)] == [True, False]


@pytest.mark.asyncio
async def test_an_unreachable_redis_counts_in_the_process_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="donations.ratelimit")
    limiter = CheckoutRateLimiter("4/minute", f"redis://127.0.0.1:{free_port()}/0", workers=2)
    verdicts = [await limiter.hit("203.0.113.7") for _ in range(5)]
    await limiter.aclose()
    assert [v.allowed for v in verdicts] == [True, True, False, False, False]
    assert 1 <= verdicts[-1].retry_after <= 60
    assert [record.getMessage() for record in caplog.records] == [
        "rate limiter: Redis unavailable (ConnectionError); counting in this process at "
        "2 per 1 minute until it answers"
    ]


@pytest.mark.asyncio
async def test_a_redis_that_never_answers_costs_one_request_a_second_then_none() -> None:
    with silent_server() as port:
        limiter = CheckoutRateLimiter("2/minute", f"redis://127.0.0.1:{port}/0")
        timings = []
        for _ in range(3):
            started = time.monotonic()
            verdict = await limiter.hit("203.0.113.7")
            timings.append((verdict.allowed, time.monotonic() - started))
        await limiter.aclose()
    assert [allowed for allowed, _ in timings] == [True, True, False]
    first, *rest = (seconds for _, seconds in timings)
    assert ratelimit.REDIS_TIMEOUT_SECONDS <= first < ratelimit.REDIS_TIMEOUT_SECONDS + 1.5
    assert max(rest) < 0.1


@pytest.mark.asyncio
async def test_redis_going_away_and_coming_back_is_logged_once_each(
    redis_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "REDIS_RETRY_SECONDS", 0.2)
    caplog.set_level(logging.WARNING, logger="donations.ratelimit")
    db = redis_url.rsplit("/", 1)[1]
    with tcp_forwarder(6379) as port:
        limiter = CheckoutRateLimiter("3/minute", f"redis://127.0.0.1:{port}/{db}", workers=3)
        shared = [(await limiter.hit("198.51.100.1")).allowed for _ in range(2)]
        port_closed = port
    # The forwarder is gone: its port refuses connections.
    down = [(await limiter.hit("198.51.100.9")).allowed for _ in range(3)]
    with tcp_forwarder(6379, port=port_closed):
        await asyncio.sleep(0.3)
        back = [(await limiter.hit("198.51.100.1")).allowed for _ in range(2)]
    await limiter.aclose()
    # Redis counted the first two; in the outage the process allowed 3 / 3 workers = 1;
    # back on Redis, the first client's third attempt of the window is its last.
    assert (shared, down, back) == ([True, True], [True, False, False], [True, False])
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "rate limiter: Redis unavailable (ConnectionError); counting in this process at "
        "1 per 1 minute until it answers",
        "rate limiter: Redis answers again; counting there",
    ]


@contextmanager
def tcp_forwarder(target_port: int, *, port: int = 0) -> Iterator[int]:
    """A TCP relay on 127.0.0.1 to `target_port`, closed (port and connections) on leaving."""
    listener = socket.create_server(("127.0.0.1", port), reuse_port=True)
    sockets: list[socket.socket] = [listener]

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", target_port))
                sockets.extend((client, upstream))
                for source, target in ((client, upstream), (upstream, client)):
                    threading.Thread(target=pipe, args=(source, target), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@contextmanager
def app_instance(database_url: str, **overrides: str) -> Iterator[str]:
    port = free_port()
    values = {"CHECKOUT_RATE_LIMIT": "3/minute", **overrides}
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        **values,  # type: ignore[arg-type]
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
async def test_two_instances_without_redis_allow_the_setting_between_them(
    database_url: str,
) -> None:
    body = {"amount": 500, "currency": "eur", "frequency": "one_off"}
    with ExitStack() as stack:
        first = stack.enter_context(
            app_instance(database_url, CHECKOUT_RATE_LIMIT="4/minute", WEB_CONCURRENCY="2")
        )
        second = stack.enter_context(
            app_instance(database_url, CHECKOUT_RATE_LIMIT="4/minute", WEB_CONCURRENCY="2")
        )
        async with httpx.AsyncClient() as http:
            answers = [
                await http.post(f"{url}/api/checkout-sessions", json=body)
                for url in (first, second, first, second, first, second)
            ]
    assert [a.status_code for a in answers] == [201, 201, 201, 201, 429, 429]


@pytest.mark.asyncio
async def test_two_instances_whose_redis_is_unreachable_do_not_fail_open(
    database_url: str,
) -> None:
    body = {"amount": 500, "currency": "eur", "frequency": "one_off"}
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with ExitStack() as stack:
        first = stack.enter_context(
            app_instance(
                database_url, REDIS_URL=closed, CHECKOUT_RATE_LIMIT="4/minute", WEB_CONCURRENCY="2"
            )
        )
        second = stack.enter_context(
            app_instance(
                database_url, REDIS_URL=closed, CHECKOUT_RATE_LIMIT="4/minute", WEB_CONCURRENCY="2"
            )
        )
        async with httpx.AsyncClient() as http:
            answers = [
                await http.post(f"{url}/api/checkout-sessions", json=body)
                for url in (first, second, first, second, first, second)
            ]
    assert [a.status_code for a in answers] == [201, 201, 201, 201, 429, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"


@pytest.mark.asyncio
async def test_the_memory_window_moves_and_forgets_idle_clients() -> None:
    now = [1000.0]
    window = ratelimit.MemoryWindow(ratelimit.parse("2/minute"), clock=lambda: now[0])

    async def hit(key: str, at: float) -> tuple[bool, int]:
        now[0] = 1000.0 + at
        verdict = await window.hit(key)
        return verdict.allowed, verdict.retry_after

    assert await hit("a", 0) == (True, 0)
    assert await hit("a", 10) == (True, 0)
    # The window holds the attempts at 0 and 10: the first leaves it at 60.
    assert await hit("a", 20.5) == (False, 40)
    assert await hit("a", 59.9) == (False, 1)
    assert await hit("a", 60) == (True, 0)
    assert await hit("a", 61) == (False, 9)
    assert await hit("b", 61) == (True, 0)
    # The sweeps run a window apart (at 60, then 120): the second drops "a", whose last
    # attempt (at 60) is a whole window old, and keeps "b" (61).
    assert await hit("c", 120.5) == (True, 0)
    assert sorted(window.hits) == ["b", "c"]
