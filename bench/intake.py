"""Webhook intake: signed Stripe events/s through POST /webhooks/stripe, against the floor.

Events are the scenario generator's mix (tests/support/stripe_events.py: gifts, memberships,
renewals, failures, refunds, disputes, unknown types), each with fresh ids so every request
does real work, all signed before the timed window. The floor (bench/bench_app.py) gets the
same bodies on the same server, alternating with ours (bench/measure.py, run_paired); its
bodies may repeat, as it stores whatever it verified.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from bench.bench_app import BENCH_WEBHOOK_SECRET, FLOOR_PATH
from bench.delivery import WEBHOOK_PATH, signed
from bench.figures import Figure, Goal, Target
from bench.load import encode_request
from bench.measure import Contender, check_answers, run_paired
from bench.servers import Server
from bench.sizes import Size
from stripe_events import random_scenario

INTAKE_TARGET = Target(Goal.ratio_at_least, 0.35)


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


def measure_intake(
    server: Server, size: Size, *, database: str, warnings: list[str]
) -> list[Figure]:
    section = f"webhook intake ({database})"
    ours_requests = signed_requests(WEBHOOK_PATH, size.intake_events, seed=2)
    floor_requests = [
        request.replace(b"POST " + WEBHOOK_PATH.encode(), b"POST " + FLOOR_PATH.encode(), 1)
        for request in ours_requests
    ]
    runs = run_paired(
        {
            "floor": Contender(server, floor_requests, cycle=True),
            "ours": Contender(server, ours_requests),
        },
        rounds=size.rounds,
        connections=size.connections,
        duration=size.duration,
        warmup=size.warmup,
    )
    floor, ours = runs["floor"], runs["ours"]
    check_answers(f"{section} floor", floor, warnings)
    check_answers(f"{section} ours", ours, warnings)
    detail = {**runs, "event_types": event_types(ours_requests)}
    return [
        Figure(
            section, "events/s", "1/s", ours["ok_per_second"],
            floor["ok_per_second"], "durable floor", [INTAKE_TARGET], detail,
        ),
        Figure(section, "p50", "ms", ours["p50_ms"], floor["p50_ms"], "durable floor"),
        Figure(section, "p99", "ms", ours["p99_ms"], floor["p99_ms"], "durable floor"),
        Figure(
            section, "server CPU per event", "ms", ours["server_cpu_ms_per_request"],
            floor["server_cpu_ms_per_request"], "durable floor",
        ),
    ]  # fmt: skip


def event_types(requests: list[bytes]) -> dict[str, int]:
    """How many of each event type a prepared batch holds (for latest.json)."""
    counts: dict[str, int] = {}
    for request in requests:
        body = request.split(b"\r\n\r\n", 1)[1]
        kind = json.loads(body)["type"]
        counts[kind] = counts.get(kind, 0) + 1
    return counts
