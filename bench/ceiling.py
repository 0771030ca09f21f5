"""Is the load generator the bottleneck? Twice the load generator on the bare endpoint.

GET /bench/constant is the cheapest route the server has. The load generator every other
figure uses drives it with the bench's connections; then wrk with two threads and twice the
connections does the same. If doubling the load generator gets no more requests/s out of
the server (ratio near 1), the server, not the load generator, sets the pace.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.bench_app import CONSTANT_PATH
from bench.figures import Figure, Goal, Target
from bench.load import write_requests
from bench.measure import check_answers, get_request, run_load
from bench.servers import Server
from bench.sizes import Size
from bench.wrk import run_wrk, wrk_path

# Within 10%: more load generator does not move the server.
KEEPS_UP = Target(Goal.ratio_at_least, 0.9)


def measure_ceiling(
    server: Server, size: Size, *, database: str, warnings: list[str]
) -> list[Figure]:
    request = get_request(CONSTANT_PATH)
    ours = run_load(
        server, [request], connections=size.connections, duration=size.duration / 2,
        warmup=size.warmup, cycle=True,
    )  # fmt: skip
    check_answers("load generator ceiling", ours, warnings)
    if wrk_path() is None:
        return []
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as scratch:
        requests_file = Path(scratch) / "requests.bin"
        write_requests(requests_file, [request])
        doubled = run_wrk(
            server, requests_file, connections=2 * size.connections,
            duration=size.duration / 2, cycle=True, threads=2,
        )  # fmt: skip
    check_answers("load generator ceiling, doubled", doubled, warnings)
    return [
        Figure(
            f"load generator ({database})", f"bare endpoint requests/s, {ours['loadgen']}", "1/s",
            ours["ok_per_second"], doubled["ok_per_second"],
            "wrk -t2, 2x connections", [KEEPS_UP], {"ours": ours, "doubled": doubled},
        )
    ]  # fmt: skip
