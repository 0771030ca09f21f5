"""How big a run is: `smoke` proves every figure can be produced; `full` gives the figures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerSize:
    payments: int
    memberships: int
    refunds: int
    disputes: int
    supporters: int


@dataclass(frozen=True)
class Size:
    name: str
    # HTTP load: seconds timed, seconds of warm-up before, connections.
    duration: float
    warmup: float
    connections: int
    # Checkout hits a second server per session: its own, shorter windows.
    checkout_duration: float
    # Report timings: runs per command; the median is reported.
    repeats: int
    ledger: LedgerSize
    # Ours and its baseline alternate in this many rounds of duration/rounds each.
    rounds: int
    # Signed events prepared for the intake, each sent once (the floor's may repeat): enough
    # for 4,000 a second over warm-up and window, twice what ours serves on 2 cores, so the
    # window is never cut short (wrk.lua times a run that is, but then it is a short run).
    intake_events: int


SMOKE = Size(
    name="smoke",
    duration=1.0,
    warmup=0.0,
    connections=32,
    checkout_duration=1.0,
    repeats=1,
    ledger=LedgerSize(payments=2_000, memberships=200, refunds=100, disputes=10, supporters=500),
    rounds=1,
    intake_events=2_000,
)

# Minutes, not seconds: the HTTP figures at full length on the small ledger, for comparing
# before and after a change (reports on 2,000 payments say little).
QUICK = Size(
    name="quick",
    duration=10.0,
    warmup=1.0,
    connections=32,
    checkout_duration=6.0,
    repeats=5,
    ledger=SMOKE.ledger,
    rounds=2,
    intake_events=44_000,
)

FULL = Size(
    name="full",
    duration=20.0,
    warmup=2.0,
    connections=32,
    checkout_duration=10.0,
    repeats=5,
    ledger=LedgerSize(
        payments=1_000_000,
        memberships=100_000,
        refunds=50_000,
        disputes=5_000,
        supporters=250_000,
    ),
    rounds=2,
    intake_events=88_000,
)

SIZES = {size.name: size for size in (SMOKE, QUICK, FULL)}
