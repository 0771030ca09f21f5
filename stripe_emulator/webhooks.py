"""Webhook delivery: sign each event, POST it to every endpoint, retry with back-off.

    Deliverer.enqueue(event)   called by Store.emit; schedules one delivery per endpoint
    Deliverer.flush(timeout)   wait until every queued delivery has succeeded or given up
    Deliverer.aclose()         cancel the worker, close the HTTP client
    Deliverer.attempts         the attempt log (GET /_emulator/deliveries)
    sign(payload, secret, timestamp) -> the Stripe-Signature header value

Signing as https://docs.stripe.com/webhooks#verify-manually: `t=<unix>,v1=<hex>` where v1 is
HMAC-SHA256 of f"{t}.{body}" under the endpoint's whsec_ secret; t is real time.
The dispatcher is an asyncio task started lazily on the running loop by the first enqueue, so
the emulator works mounted inside another app whose lifespan never runs ours. A failed
attempt (non-2xx, connection error, or a simulated failure) is retried after
retry_base_delay * 2**(attempt - 1) seconds, up to max_attempts attempts in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import random
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from stripe_emulator.config import DeliveryOptions

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
TIMEOUT = httpx.Timeout(10.0)
# httpx writes headers and body separately; with Nagle's algorithm and delayed ACKs each
# delivery would then wait ~40 ms on loopback.
_NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def sign(payload: str, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    event: dict[str, Any] = field(compare=False)
    url: str = field(compare=False)
    secret: str = field(compare=False)
    attempt: int = field(default=1, compare=False)
    duplicate: bool = field(default=False, compare=False)


class Deliverer:
    def __init__(self, endpoints: list[tuple[str, str]], options: DeliveryOptions) -> None:
        self.endpoints = endpoints
        self.options = options
        self.random = random.Random(options.seed)
        self.attempts: list[dict[str, Any]] = []
        self._queue: list[_Delivery] = []
        self._order = itertools.count()
        self._in_flight = 0
        self._wakeup: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None

    def set_options(self, **changes: Any) -> DeliveryOptions:
        for name, value in changes.items():
            if not hasattr(self.options, name):
                raise ValueError(f"unknown delivery option {name!r}")
            setattr(self.options, name, value)
        if "seed" in changes:
            self.random.seed(self.options.seed)
        return self.options

    def enqueue(self, event: dict[str, Any]) -> None:
        now = time.monotonic()
        for url, secret in self.endpoints:
            copies = 2 if self.random.random() < self.options.duplicate_rate else 1
            for copy_number in range(copies):
                self._push(
                    _Delivery(
                        due=now + self.options.delivery_delay,
                        order=self._next_order(),
                        event=event,
                        url=url,
                        secret=secret,
                        duplicate=copy_number > 0,
                    )
                )
        self._ensure_worker()

    @property
    def pending(self) -> int:
        return len(self._queue) + self._in_flight

    async def flush(self, timeout: float = 30.0) -> bool:
        """True once nothing is queued or in flight; False if `timeout` passed first."""
        self._ensure_worker()
        deadline = time.monotonic() + timeout
        while self.pending:
            assert self._idle is not None
            self._idle.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), min(remaining, 0.05))
        return True

    async def aclose(self) -> None:
        tasks = [t for t in (self._task, *self._sending) if t is not None and not t.done()]
        self._task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await task
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(RuntimeError):
                await client.aclose()
        self._loop = None

    def _next_order(self) -> int:
        # shuffle: ready deliveries go out in random order rather than creation order.
        if self.options.shuffle:
            return self.random.randrange(1 << 30)
        return next(self._order)

    def _push(self, delivery: _Delivery) -> None:
        heapq.heappush(self._queue, delivery)
        if self._wakeup is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wakeup.set)

    def _ensure_worker(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop here (plain sync use): the next call from a loop starts it
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        # A different loop (a new test client, say): the old tasks and client are unusable.
        self._sending.clear()
        self._in_flight = 0
        self._loop = loop
        self._client = httpx.AsyncClient(
            timeout=TIMEOUT, transport=httpx.AsyncHTTPTransport(socket_options=_NO_DELAY)
        )
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._task = loop.create_task(self._run(), name="stripe_emulator webhooks")

    async def _run(self) -> None:
        """Dispatch due deliveries, at most `concurrency` at a time (1: strictly in order)."""
        assert self._wakeup is not None and self._idle is not None
        while True:
            busy = self._in_flight >= max(1, self.options.concurrency)
            if busy or not self._queue:
                if not self._queue and not self._in_flight:
                    self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            wait = self._queue[0].due - time.monotonic()
            if wait > 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)
                continue
            delivery = heapq.heappop(self._queue)
            self._in_flight += 1
            task = asyncio.create_task(self._attempt_then_release(delivery))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _attempt_then_release(self, delivery: _Delivery) -> None:
        try:
            await self._attempt(delivery)
        finally:
            self._in_flight -= 1
            if self._wakeup is not None:
                self._wakeup.set()

    async def _attempt(self, delivery: _Delivery) -> None:
        status, error = await self._send(delivery)
        self.attempts.append(
            {
                "event": delivery.event["id"],
                "type": delivery.event["type"],
                "url": delivery.url,
                "attempt": delivery.attempt,
                "status": status,
                "error": error,
                "duplicate": delivery.duplicate,
                "at": time.time(),
            }
        )
        if status is not None and 200 <= status < 300:
            return
        if delivery.attempt >= self.options.max_attempts:
            logger.warning(
                "webhook delivery gave up",
                extra={"event_id": delivery.event["id"], "url": delivery.url},
            )
            return
        backoff = self.options.retry_base_delay * 2 ** (delivery.attempt - 1)
        delivery.due = time.monotonic() + backoff
        delivery.attempt += 1
        delivery.order = self._next_order()
        heapq.heappush(self._queue, delivery)

    async def _send(self, delivery: _Delivery) -> tuple[int | None, str | None]:
        if self.random.random() < self.options.failure_rate:
            return None, "simulated network failure"
        assert self._client is not None
        payload = json.dumps(delivery.event, indent=2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(payload, delivery.secret, int(time.time())),
        }
        try:
            response = await self._client.post(delivery.url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
