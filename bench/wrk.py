"""wrk as the load generator: C, one thread, a fraction of a core where Python needs a whole one.

On a two-core machine the load generator's CPU is taken from the server, so the cheaper
generator gives the server-side figures; bench/load.py is the stand-in where wrk is not
installed (CI's smoke run). Same input file, same result keys as bench/load.py.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.load import process_cpu_seconds
from bench.servers import Server

SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
# wrk's default gives up on a request after 2 s and counts it as an error.
REQUEST_TIMEOUT = "30s"


def wrk_path() -> str | None:
    if os.environ.get("BENCH_LOADGEN") == "python":
        return None
    return shutil.which("wrk")


def run_wrk(
    server: Server,
    requests_file: Path,
    *,
    connections: int,
    duration: float,
    cycle: bool,
    threads: int = 1,
) -> dict[str, Any]:
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    command = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
        "--timeout", REQUEST_TIMEOUT, "-s", str(SCRIPT), server.url, "--", str(requests_file),
    ] + (["cycle"] if cycle else [])  # fmt: skip
    server_cpu = process_cpu_seconds(server.pid)
    # Children's CPU is summed as they are reaped: the difference is this wrk's.
    loadgen_cpu = _children_cpu_seconds()
    completed_process = subprocess.run(command, capture_output=True, timeout=duration + 60)
    loadgen_cpu = _children_cpu_seconds() - loadgen_cpu
    server_cpu = process_cpu_seconds(server.pid) - server_cpu
    if completed_process.returncode:
        raise RuntimeError(
            f"wrk exited {completed_process.returncode}: {completed_process.stderr.decode()[-500:]}"
        )
    found = json.loads(completed_process.stdout.decode().strip().splitlines()[-1])
    # An exhausted run's requests were all sent before the window closed: its rate is over
    # the span they took, not over the idle rest of the window.
    seconds = (found["exhausted_after_us"] or found["duration_us"]) / 1e6
    completed = found["completed"]
    return {
        "completed": completed,
        "seconds": round(seconds, 3),
        "requests_per_second": completed / seconds if seconds else 0.0,
        "p50_ms": found["p50_us"] / 1000,
        "p99_ms": found["p99_us"] / 1000,
        "statuses": found["statuses"],
        "errors": found["socket_errors"],
        "exhausted": found["exhausted"],
        "connections": connections,
        "loadgen": f"wrk -t{threads}",
        "loadgen_cpu_percent": 100 * loadgen_cpu / seconds if seconds else 0.0,
        "server_cpu_ms_per_request": 1000 * server_cpu / completed if completed else None,
        "server_cpu_percent": 100 * server_cpu / seconds if seconds else None,
    }


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
