"""The emulator's memory: every Stripe object by id, the event log, and private bookkeeping.

Store.lock          one re-entrant lock around every read-modify-write; the domain code
                    never awaits while holding it, so async requests cannot interleave
Store.objects       id -> the Stripe object, as the API returns it
Store.events        every event, oldest first (GET /v1/events reads it newest first)
Store.idempotency   (api key, Idempotency-Key) -> the first response
Store.sessions / .subscriptions / .pending / .methods / .ledger
                    what Stripe knows but does not show: a session's line items and
                    *_data params, a membership's payment method and price, payments
                    waiting to settle, the test card behind each PaymentMethod, which
                    balance transactions are pending, available or paid out by which payout
Store.timers        (when, kind, id) of work that falls due on the clock (scheduler.py)
Store.emit(type, obj)  snapshot `obj` in an event, log it, hand it to webhook delivery
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stripe_emulator import shapes
from stripe_emulator.cards import TestMethod
from stripe_emulator.clock import Clock
from stripe_emulator.config import EmulatorConfig
from stripe_emulator.errors import no_such

Json = dict[str, Any]


@dataclass
class SessionRecord:
    line_items: list[Json]
    payment_intent_data: Json
    subscription_data: Json
    # The recurring price of a subscription-mode session, with its quantity.
    price: Json | None = None
    quantity: int = 1
    setup_intent_data: Json = field(default_factory=dict)


@dataclass
class SubscriptionRecord:
    method: TestMethod
    price: Json
    quantity: int
    anchor: int
    periods: int = 1  # periods started so far; the current one is number `periods`
    # The period end whose invoice.upcoming was sent (one per renewal).
    upcoming_sent_for: int | None = None


@dataclass
class PendingPayment:
    """A delayed (SEPA) payment waiting to settle, and what it pays for."""

    payment_intent: str
    method: TestMethod
    settle_at: int
    session: str | None = None
    invoice: str | None = None


@dataclass
class Ledger:
    """The balance behind the BalanceTransactions (balance.py, payouts.py).

    pending     not yet available (by id), each released on its `available_on`
    unpaid      available and not yet in a payout
    payout_of   transaction id -> the payout that paid it out (its own one included)
    day         the last 00:00 UTC whose release and payout have run
    """

    pending: dict[str, Json] = field(default_factory=dict)
    unpaid: dict[str, Json] = field(default_factory=dict)
    payout_of: dict[str, str] = field(default_factory=dict)
    day: int | None = None


@dataclass
class Replay:
    method: str
    path: str
    params: Json
    status: int
    body: Json
    request_id: str


@dataclass
class Store:
    config: EmulatorConfig
    clock: Clock
    on_event: Callable[[Json], None]
    lock: threading.RLock = field(default_factory=threading.RLock)
    objects: dict[str, Json] = field(default_factory=dict)
    by_type: dict[str, dict[str, Json]] = field(default_factory=dict)
    events: list[Json] = field(default_factory=list)
    idempotency: dict[tuple[str, str], Replay] = field(default_factory=dict)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionRecord] = field(default_factory=dict)
    pending: dict[str, PendingPayment] = field(default_factory=dict)
    methods: dict[str, TestMethod] = field(default_factory=dict)
    ledger: Ledger = field(default_factory=Ledger)
    timers: list[tuple[int, str, str]] = field(default_factory=list)
    # The API request being handled: events it causes name it, as Stripe's `request` does;
    # events from the pages, controls or the clock have none (like Dashboard/automatic ones).
    request: Json | None = None

    def now(self) -> int:
        return self.clock.now()

    def add(self, obj: Json) -> Json:
        self.objects[obj["id"]] = obj
        self.by_type.setdefault(obj["object"], {})[obj["id"]] = obj
        return obj

    def get(self, id: str, object_type: str, *, param: str = "id") -> Json:
        """The stored object, or Stripe's 404 naming `param` (as Stripe names the id)."""
        obj = self.objects.get(id)
        if obj is None or obj.get("object") != object_type:
            raise no_such(object_type.replace("_", " ").replace(".", " "), id, param)
        return obj

    def find(self, object_type: str, **fields: Any) -> list[Json]:
        return [
            o
            for o in self.by_type.get(object_type, {}).values()
            if all(o.get(k) == v for k, v in fields.items())
        ]

    def schedule(self, at: int, kind: str, id: str = "") -> None:
        """Run `kind` work for `id` when the clock reaches `at` (checked again then)."""
        heapq.heappush(self.timers, (at, kind, id))

    def emit(self, type: str, obj: Json, previous_attributes: Json | None = None) -> Json:
        event = shapes.event(type, obj, created=self.now(), previous_attributes=previous_attributes)
        event["pending_webhooks"] = len(self.config.webhook_endpoints)
        if self.request is not None:
            event["request"] = dict(self.request)
        self.events.append(event)
        self.add(event)
        self.on_event(event)
        return event
