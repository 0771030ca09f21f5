"""Runs the load generator in its own process against servers under test, and pairs runs.

run_load(server, requests, ...)        one timed window (wrk if installed, else load.py)
run_paired({name: Contender}, ...)     ours and its baseline in alternating rounds
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.load import encode_request, write_requests
from bench.servers import PROJECT_ROOT, Server, child_environment, python_module
from bench.wrk import run_wrk, wrk_path

LOADGEN_TIMEOUT_MARGIN = 60.0


def run_load(
    server: Server,
    requests: Sequence[bytes],
    *,
    connections: int,
    duration: float,
    warmup: float,
    cycle: bool = False,
) -> dict[str, Any]:
    """The load generator's result; `server_cpu_*` is measured on `server`'s process.

    wrk when installed (bench/wrk.py), else bench/load.py. Requests sent in the warm-up are
    not sent again in the timed window unless `cycle`.
    """
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        if wrk_path() is not None:
            return _with_wrk(
                server, requests, Path(scratch), connections=connections, duration=duration,
                warmup=warmup, cycle=cycle,
            )  # fmt: skip
        requests_file = Path(scratch) / "requests.bin"
        write_requests(requests_file, requests)
        command = python_module(
            "bench.load",
            "--port", str(server.port),
            "--requests", str(requests_file),
            "--connections", str(connections),
            "--duration", str(duration),
            "--warmup", str(warmup),
            "--server-pid", str(server.pid),
        ) + (["--cycle"] if cycle else [])  # fmt: skip
        completed = subprocess.run(
            command,
            cwd=PROJECT_ROOT,
            env=child_environment(),
            capture_output=True,
            check=True,
            timeout=duration + warmup + LOADGEN_TIMEOUT_MARGIN,
        )
    result: dict[str, Any] = json.loads(completed.stdout)
    result["loadgen"] = "bench/load.py"
    return result


def _with_wrk(
    server: Server,
    requests: Sequence[bytes],
    scratch: Path,
    *,
    connections: int,
    duration: float,
    warmup: float,
    cycle: bool,
) -> dict[str, Any]:
    warmup_file, timed_file = scratch / "warmup.bin", scratch / "timed.bin"
    if cycle:
        write_requests(warmup_file, requests)
        write_requests(timed_file, requests)
    else:
        split = int(len(requests) * warmup / (warmup + duration))
        write_requests(warmup_file, requests[:split] or requests[:1])
        write_requests(timed_file, requests[split:])
    if warmup > 0:
        run_wrk(server, warmup_file, connections=connections, duration=warmup, cycle=cycle)
    return run_wrk(server, timed_file, connections=connections, duration=duration, cycle=cycle)


@dataclass(frozen=True)
class Contender:
    """One side of a pair: where the requests go, and whether they may repeat."""

    server: Server
    requests: Sequence[bytes]
    cycle: bool = False


def run_paired(
    contenders: dict[str, Contender],
    *,
    rounds: int,
    connections: int,
    duration: float,
    warmup: float,
) -> dict[str, dict[str, Any]]:
    """Each contender warmed up, then `rounds` windows of duration/rounds each, alternating
    (A B A B ...), so that a change in what else the machine runs falls on both sides.

    Merged per contender: requests and seconds summed (so requests/s is over all rounds),
    server CPU summed, p50 and p99 the means of the rounds' weighted by requests; each round's
    own result is kept under "rounds". Requests that may not repeat are split between the
    warm-up and the rounds, each used once.
    """
    slices = {
        name: _slices(c, rounds=rounds, warmup=warmup, duration=duration)
        for name, c in contenders.items()
    }
    if warmup > 0:
        for name, contender in contenders.items():
            run_load(
                contender.server, slices[name][0], connections=connections, duration=warmup,
                warmup=0.0, cycle=contender.cycle,
            )  # fmt: skip
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    for index in range(1, rounds + 1):
        for name, contender in contenders.items():
            results[name].append(
                run_load(
                    contender.server, slices[name][index], connections=connections,
                    duration=duration / rounds, warmup=0.0, cycle=contender.cycle,
                )
            )  # fmt: skip
    return {name: _merged(runs) for name, runs in results.items()}


def _slices(
    contender: Contender, *, rounds: int, warmup: float, duration: float
) -> list[Sequence[bytes]]:
    """[warm-up, round 1, ..., round N] requests."""
    requests = contender.requests
    if contender.cycle:
        return [requests] * (rounds + 1)
    first = int(len(requests) * warmup / (warmup + duration))
    timed = requests[first:]
    size = len(timed) // rounds
    return [requests[:first] or requests[:1]] + [
        timed[index * size : (index + 1) * size] for index in range(rounds)
    ]


def _merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    completed = sum(run["completed"] for run in runs)
    seconds = sum(run["seconds"] for run in runs)
    statuses: dict[str, int] = {}
    for run in runs:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count

    def weighted(key: str) -> float:
        return sum(run[key] * run["completed"] for run in runs) / completed if completed else 0.0

    server_cpu = sum((run["server_cpu_ms_per_request"] or 0.0) * run["completed"] for run in runs)
    loadgen_cpu = sum(run["loadgen_cpu_percent"] * run["seconds"] for run in runs)
    return {
        "completed": completed,
        "seconds": round(seconds, 3),
        "requests_per_second": completed / seconds if seconds else 0.0,
        "p50_ms": weighted("p50_ms"),
        "p99_ms": weighted("p99_ms"),
        "statuses": statuses,
        "errors": sum(run["errors"] for run in runs),
        "exhausted": any(run["exhausted"] for run in runs),
        "connections": runs[0]["connections"],
        "loadgen": runs[0]["loadgen"],
        "loadgen_cpu_percent": loadgen_cpu / seconds if seconds else 0.0,
        "server_cpu_ms_per_request": server_cpu / completed if completed else None,
        "server_cpu_percent": server_cpu / 10 / seconds if seconds else None,
        "rounds": runs,
    }


def get_request(path: str) -> bytes:
    return encode_request("GET", path)


def json_post(path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    return encode_request(
        "POST", path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


def successes(result: dict[str, Any]) -> int:
    statuses: dict[str, int] = result["statuses"]
    return sum(count for status, count in statuses.items() if status.startswith("2"))


def check_answers(what: str, result: dict[str, Any], warnings: list[str]) -> None:
    """Only 2xx answers count (`ok_per_second`); any other answer is a warning, none a failure.

    A product bug that fails some requests shows up in the report instead of stopping it.
    """
    ok = successes(result)
    result["ok_per_second"] = ok / result["seconds"] if result["seconds"] else 0.0
    if ok == 0:
        raise RuntimeError(f"{what}: no 2xx answer; statuses {result['statuses']}")
    if ok != result["completed"] or result["errors"]:
        warnings.append(
            f"{what}: {result['completed'] - ok} of {result['completed']} answers were not 2xx "
            f"(statuses {result['statuses']}), {result['errors']} socket errors"
        )
    if result["exhausted"]:
        warnings.append(
            f"{what}: every prepared request was sent before the window closed; its rate is "
            "over the time they took (prepare more for a full window)"
        )
