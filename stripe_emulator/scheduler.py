"""Work that falls due on the emulator clock: renewals and the notices before them,
cancellations at period end, paused collection resuming, session expiry, delayed-payment
settlement, money becoming available and payouts.

    advance(store, seconds) -> the events it produced
    settle_now(store, ids)  -> settle delayed payments without waiting

Due work runs when the clock is advanced (POST /_emulator/clock/advance), in time order, each
item with the clock pinned to the moment it fell due: advancing three months renews a monthly
membership three times, and each invoice is dated at its own period end.
Renewals, expiries and settlements are found by looking at the objects; everything else is a
timer (`store.schedule`) set by the code that made it due, and checked again when it fires.

    kind            id          runs
    renew           sub_        billing.renew at the period end
    upcoming        sub_        notices.upcoming: invoice.upcoming before the renewal
    resume          sub_        changes.resume: pause_collection's resumes_at
    day             -           payouts.run_day at 00:00 UTC: money available, payouts
    payout_submit   po_         payouts.submit (in transit)
    payout_arrive   po_         payouts.arrive (paid)
    settle, expire  pi_, cs_    delayed payments, Checkout Session expiry
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from stripe_emulator import billing, changes, checkout, notices, payouts
from stripe_emulator.state import Json, Store

# Far more than any test or demo needs; stops a runaway loop (a zero-length interval).
_MAX_STEPS = 100_000


def advance(store: Store, seconds: int) -> list[Json]:
    first = len(store.events)
    store.clock.advance(seconds)
    run_due(store, until=store.now())
    return store.events[first:]


def run_due(store: Store, *, until: int) -> None:
    # A heap of what is due by `until`; a renewal may make its next period due too, and any
    # work may set timers. Entries are checked again when popped: earlier work may have
    # changed them (a cancellation).
    due = [c for c in _candidates(store) if c[0] <= until]
    heapq.heapify(due)
    for _ in range(_MAX_STEPS):
        while store.timers and store.timers[0][0] <= until:
            heapq.heappush(due, heapq.heappop(store.timers))
        if not due:
            return
        at, kind, id = heapq.heappop(due)
        with store.clock.at(at):
            if kind in _TIMED:
                _TIMED[kind](store, id, at)
            elif kind == "settle":
                pending = store.pending.pop(id, None)
                if pending is not None:
                    checkout.settle(store, pending)
            elif kind == "expire":
                if store.objects[id]["status"] == "open":
                    checkout.expire(store, id)
            else:
                sub = store.objects[id]
                if sub["status"] != "active" or billing.period_end_of(sub) != at:
                    continue
                billing.renew(store, id)
                if sub["status"] == "active" and billing.period_end_of(sub) <= until:
                    heapq.heappush(due, (billing.period_end_of(sub), "renew", id))


# Timer kinds: each handler checks that the work is still due (`at` is when it was set for).
_TIMED: dict[str, Callable[[Store, str, int], None]] = {
    "upcoming": lambda store, id, at: notices.upcoming(store, id, at),
    "resume": lambda store, id, at: changes.resume(store, id, at),
    "day": lambda store, _, at: payouts.run_day(store, at),
    "payout_submit": lambda store, id, _: payouts.submit(store, id),
    "payout_arrive": lambda store, id, _: payouts.arrive(store, id),
}


def settle_now(store: Store, ids: list[str] | None = None) -> list[str]:
    """Settle the pending payments named by PaymentIntent or session id (all if None)."""
    chosen = [
        p
        for p in list(store.pending.values())
        if ids is None or p.payment_intent in ids or p.session in ids
    ]
    for pending in chosen:
        del store.pending[pending.payment_intent]
        checkout.settle(store, pending)
    return [p.payment_intent for p in chosen]


def _candidates(store: Store) -> list[tuple[int, str, str]]:
    candidates = [(p.settle_at, "settle", p.payment_intent) for p in store.pending.values()]
    candidates += [
        (s["expires_at"], "expire", s["id"]) for s in store.find("checkout.session", status="open")
    ]
    candidates += [(end, "renew", id) for end, id in billing.due(store)]
    return candidates
