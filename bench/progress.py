"""GET /api/progress against a constant JSON of the same shape, served by the same process.

The server's database is the loaded bench ledger, so the progress figure's periodic
recomputation (donations/reports/live.py) runs on a realistic ledger inside the window.
"""

from __future__ import annotations

from bench.bench_app import CONSTANT_PATH
from bench.figures import Figure, Goal, Target
from bench.measure import Contender, check_answers, get_request, run_paired
from bench.servers import Server
from bench.sizes import Size

PROGRESS_PATH = "/api/progress?campaign=2026"
PROGRESS_TARGET = Target(Goal.ratio_at_least, 0.8)


def measure_progress(
    server: Server, size: Size, *, database: str, warnings: list[str]
) -> list[Figure]:
    section = f"progress API ({database})"
    runs = run_paired(
        {
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
    ours, constant = runs["ours"], runs["constant"]
    return [
        Figure(
            section, "requests/s", "1/s", ours["ok_per_second"],
            constant["ok_per_second"], "constant JSON", [PROGRESS_TARGET], runs,
        ),
        Figure(section, "p99", "ms", ours["p99_ms"], constant["p99_ms"], "constant JSON"),
    ]  # fmt: skip
