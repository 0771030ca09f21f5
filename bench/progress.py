"""GET /api/progress against the bare app answering the same bytes (bench/bare_app.py), and
against a constant JSON of the same shape served by our own process behind our middleware.

The server's database is the loaded bench ledger, so the progress figure's periodic
recomputation (donations/reports/live.py) runs on a realistic ledger inside the window.
"""

from __future__ import annotations

from typing import Any

from bench.bare_app import PROGRESS_PATH as BARE_PROGRESS_PATH
from bench.bench_app import CONSTANT_PATH
from bench.figures import Figure, Goal, Target
from bench.measure import Contender, check_answers, get_request, run_paired
from bench.servers import Server
from bench.sizes import Size

PROGRESS_PATH = "/api/progress?campaign=2026"
PROGRESS_TARGET = Target(Goal.ratio_at_least, 0.8)


def measure_progress(
    server: Server, size: Size, *, database: str, warnings: list[str], bare: Server
) -> list[Figure]:
    """Ours, a constant JSON behind our middleware, and the bare app answering the very bytes
    ours answers (bench/bare_app.py), alternating in rounds."""
    section = f"progress API ({database})"
    runs = run_paired(
        {
            "bare": Contender(bare, [get_request(BARE_PROGRESS_PATH)], cycle=True),
            "constant": Contender(server, [get_request(CONSTANT_PATH)], cycle=True),
            "ours": Contender(server, [get_request(PROGRESS_PATH)], cycle=True),
        },
        rounds=size.rounds,
        connections=size.connections,
        duration=size.duration,
        warmup=size.warmup,
    )
    for name, result in runs.items():
        check_answers(f"{section} {name}", result, warnings)
    ours, constant, bare_run = runs["ours"], runs["constant"], runs["bare"]

    def latency(result: dict[str, Any]) -> tuple[float, float]:
        return result["p50_ms"], result["p99_ms"]

    return [
        Figure(
            section, "requests/s", "1/s", ours["ok_per_second"], bare_run["ok_per_second"],
            "bare Starlette, same bytes", [PROGRESS_TARGET], runs,
            ours_latency=latency(ours), baseline_latency=latency(bare_run),
        ),
        Figure(
            section, "requests/s (in-app)", "1/s", ours["ok_per_second"],
            constant["ok_per_second"], "constant JSON in our app", [],
            ours_latency=latency(ours), baseline_latency=latency(constant),
        ),
        Figure(section, "p99", "ms", ours["p99_ms"], bare_run["p99_ms"], "bare Starlette"),
    ]  # fmt: skip
