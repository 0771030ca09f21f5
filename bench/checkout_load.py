"""Checkout: POST /api/checkout-sessions against the emulator's own POST /v1/checkout/sessions.

The emulator runs standalone (its own uvicorn process) and the app reaches it through
STRIPE_API_BASE, as it would reach Stripe. The baseline sends the emulator the very form
the app sends: the same `session_params`, encoded by the stripe library, with a fresh
Idempotency-Key each time (the app always sends one). Two runs each:

- at the bench's concurrency, for sessions/s and p99;
- one connection at a time, where p50(ours) - p50(emulator) is what the app adds to a
  reader's wait: its two commits, validation, the rate limiter and the stripe library.
Each pair alternates in rounds (bench/measure.py, run_paired).

A third contender at one connection, the stripe relay (bench_app.py), does only what no
checkout built on Starlette and the stripe library can skip: take the JSON, make the same
Stripe call, answer. Its p50 over the emulator's is the stack's floor for the overhead, and
ours over the relay's is what our validation, the rate limiter and two commits cost.
"""

from __future__ import annotations

import itertools
import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

from bench.bench_app import BENCH_STRIPE_KEY, RELAY_PATH
from bench.figures import Figure, Goal, Target
from bench.load import encode_request
from bench.measure import Contender, check_answers, json_post, run_paired
from bench.servers import Server
from bench.sizes import Size
from donations.checkout.rules import (
    Contribution,
    new_checkout_id,
    session_params,
    stripe_idempotency_key,
)
from donations.models import Frequency

API_PATH = "/api/checkout-sessions"
EMULATOR_PATH = "/v1/checkout/sessions"
OVERHEAD_TARGET = Target(Goal.difference_under, 2.0, " ms")
# A checkout makes one emulator call, so the emulator's own cost is inside ours.
THROUGHPUT_TARGET = Target(Goal.ratio_at_least, 0.4)
# Enough distinct requests that the emulator never replays an idempotent one.
REQUESTS_PER_SECOND_CAP = 3000

CONTRIBUTIONS = (
    Contribution(1000, "eur", Frequency.one_off, "ana@example.org", "article-footer"),
    Contribution(2500, "eur", Frequency.one_off, None, "newsletter"),
    Contribution(500, "eur", Frequency.monthly, "ben@example.org", "homepage"),
    Contribution(5000, "gbp", Frequency.annual, "cleo@example.org", None),
)


def _api_body(contribution: Contribution) -> bytes:
    body: dict[str, Any] = {
        "amount": contribution.amount,
        "currency": contribution.currency,
        "frequency": contribution.frequency.value,
    }
    if contribution.email:
        body["email"] = contribution.email
    if contribution.source:
        body["source"] = contribution.source
    return json.dumps(body).encode()


def ours_requests(count: int, *, path: str = API_PATH) -> list[bytes]:
    bodies = [_api_body(c) for c in CONTRIBUTIONS]
    return [json_post(path, body) for body, _ in zip(itertools.cycle(bodies), range(count))]


def form_fields(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Stripe's form encoding of nested parameters (`line_items[0][price_data][currency]`),
    as the stripe library sends them; written here because the library's encoder is private."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from form_fields(item, f"{prefix}[{key}]" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from form_fields(item, f"{prefix}[{index}]")
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif value is not None:
        yield prefix, str(value)


def emulator_requests(count: int, *, site_url: str) -> list[bytes]:
    requests = []
    for contribution, _ in zip(itertools.cycle(CONTRIBUTIONS), range(count)):
        checkout_id = new_checkout_id()
        params = session_params(contribution, checkout_id=checkout_id, site_url=site_url)
        body = urllib.parse.urlencode(list(form_fields(params))).encode()
        headers = {
            "Authorization": f"Bearer {BENCH_STRIPE_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": stripe_idempotency_key(checkout_id),
        }
        requests.append(encode_request("POST", EMULATOR_PATH, body=body, headers=headers))
    return requests


def measure_checkout(
    app: Server, emulator: Server, size: Size, *, database: str, warnings: list[str]
) -> list[Figure]:
    section = f"checkout ({database})"
    count = int(REQUESTS_PER_SECOND_CAP * (size.checkout_duration + size.warmup))
    runs: dict[str, dict[str, Any]] = {}
    for connections in (size.connections, 1):
        contenders = {
            # Each emulator request carries its own Idempotency-Key: sent once each.
            "emulator": Contender(emulator, emulator_requests(count, site_url=app.url)),
            # Ours carry none: every one opens a new session, so they may repeat.
            "ours": Contender(app, ours_requests(len(CONTRIBUTIONS)), cycle=True),
        }
        if connections == 1:
            relay = ours_requests(len(CONTRIBUTIONS), path=RELAY_PATH)
            contenders["relay"] = Contender(app, relay, cycle=True)
        paired = run_paired(
            contenders,
            rounds=size.rounds,
            connections=connections,
            duration=size.checkout_duration,
            warmup=size.warmup,
        )
        for name, result in paired.items():
            key = f"{name} x{connections}"
            runs[key] = result
            check_answers(f"{section} {key}", result, warnings)
    loaded, single = f"x{size.connections}", "x1"

    def latency(key: str) -> tuple[float, float]:
        return runs[key]["p50_ms"], runs[key]["p99_ms"]

    return [
        Figure(
            section, f"sessions/s {loaded}", "1/s", runs[f"ours {loaded}"]["ok_per_second"],
            runs[f"emulator {loaded}"]["ok_per_second"], "emulator direct", [THROUGHPUT_TARGET],
            runs, ours_latency=latency(f"ours {loaded}"),
            baseline_latency=latency(f"emulator {loaded}"),
        ),
        Figure(
            section, f"p99 {loaded}", "ms", runs[f"ours {loaded}"]["p99_ms"],
            runs[f"emulator {loaded}"]["p99_ms"], "emulator direct",
        ),
        Figure(
            section, f"p50 {single}", "ms", runs[f"ours {single}"]["p50_ms"],
            runs[f"emulator {single}"]["p50_ms"], "emulator direct", [OVERHEAD_TARGET],
            ours_latency=latency(f"ours {single}"), baseline_latency=latency(f"emulator {single}"),
        ),
        Figure(
            section, f"p50 {single}, stripe relay (no database)", "ms",
            runs[f"relay {single}"]["p50_ms"], runs[f"emulator {single}"]["p50_ms"],
            "emulator direct",
        ),
        Figure(
            section, f"p50 {single}, ours over the relay", "ms", runs[f"ours {single}"]["p50_ms"],
            runs[f"relay {single}"]["p50_ms"], "stripe relay (no database)",
        ),
    ]  # fmt: skip
