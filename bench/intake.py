"""Webhook intake: signed Stripe events/s through POST /webhooks/stripe, against the floor.

Events are the scenario generator's mix (tests/support/stripe_events.py: gifts, memberships,
renewals, failures, refunds, disputes, unknown types), each with fresh ids so every request
does real work, all signed before the timed window. The floor (bench/bench_app.py) gets the
same bodies on the same server, alternating with ours (bench/measure.py, run_paired); its
bodies may repeat, as it stores whatever it verified. So does the raw floor, the bare app
outside our stack (bench/bare_app.py: hand-checked HMAC, JSON, one INSERT on the raw driver),
the third in each round.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from bench.bare_app import WEBHOOK_PATH as BARE_WEBHOOK_PATH
from bench.bench_app import BENCH_WEBHOOK_SECRET, FLOOR_PATH
from bench.delivery import WEBHOOK_PATH, signed
from bench.figures import Figure, Goal, Target
from bench.load import encode_request
from bench.measure import Contender, check_answers, run_paired
from bench.servers import Server
from bench.sizes import Size
from stripe_events import random_scenario

INTAKE_TARGET = Target(Goal.ratio_at_least, 0.35)
# Against the bare Starlette + raw driver floor (bench/bare_app.py), at 32 connections.
RAW_TARGET = Target(Goal.ratio_at_least, 0.5)
P99_TARGET = Target(Goal.ours_under, 250.0, " ms")


def scenario_events(seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    while True:
        yield from random_scenario(rng, supporters=20, happenings=60).events


def signed_requests(path: str, count: int, *, seed: int) -> list[bytes]:
    requests = []
    for _, event in zip(range(count), scenario_events(seed), strict=False):
        body, headers = signed(event, BENCH_WEBHOOK_SECRET)
        requests.append(encode_request("POST", path, body=body, headers=headers))
    return requests


def _to(path: str, requests: list[bytes]) -> list[bytes]:
    return [
        request.replace(b"POST " + WEBHOOK_PATH.encode(), b"POST " + path.encode(), 1)
        for request in requests
    ]


def measure_intake(
    server: Server, size: Size, *, database: str, warnings: list[str], bare: Server
) -> list[Figure]:
    """Ours, the in-app durable floor and the raw floor (bare app), alternating in rounds."""
    section = f"webhook intake ({database})"
    ours_requests = signed_requests(WEBHOOK_PATH, size.intake_events, seed=2)
    runs = run_paired(
        {
            "raw floor": Contender(bare, _to(BARE_WEBHOOK_PATH, ours_requests), cycle=True),
            "floor": Contender(server, _to(FLOOR_PATH, ours_requests), cycle=True),
            "ours": Contender(server, ours_requests),
        },
        rounds=size.rounds,
        connections=size.connections,
        duration=size.duration,
        warmup=size.warmup,
    )
    raw, floor, ours = runs["raw floor"], runs["floor"], runs["ours"]
    for name, result in runs.items():
        check_answers(f"{section} {name}", result, warnings)
    detail = {
        **runs,
        "event_types": event_types(ours_requests),
        "mean_event_bytes": mean_body_bytes(ours_requests),
    }
    latency = _latencies(ours)
    return [
        Figure(
            section, "events/s", "1/s", ours["ok_per_second"], raw["ok_per_second"],
            "raw floor: bare Starlette + raw driver", [RAW_TARGET], detail,
            ours_latency=latency, baseline_latency=_latencies(raw),
        ),
        Figure(
            section, "events/s (in-app)", "1/s", ours["ok_per_second"], floor["ok_per_second"],
            "durable floor in our app", [INTAKE_TARGET],
            ours_latency=latency, baseline_latency=_latencies(floor),
        ),
        Figure(
            section, "p99", "ms", ours["p99_ms"], raw["p99_ms"], "raw floor", [P99_TARGET],
        ),
        Figure(
            section, "server CPU per event", "ms", ours["server_cpu_ms_per_request"],
            raw["server_cpu_ms_per_request"], "raw floor",
        ),
    ]  # fmt: skip


def _latencies(result: dict[str, Any]) -> tuple[float, float]:
    return result["p50_ms"], result["p99_ms"]


def mean_body_bytes(requests: list[bytes]) -> int:
    return sum(len(request.split(b"\r\n\r\n", 1)[1]) for request in requests) // len(requests)


def event_types(requests: list[bytes]) -> dict[str, int]:
    """How many of each event type a prepared batch holds (for latest.json)."""
    counts: dict[str, int] = {}
    for request in requests:
        body = request.split(b"\r\n\r\n", 1)[1]
        kind = json.loads(body)["type"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
