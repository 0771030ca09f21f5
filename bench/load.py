"""The load generator: a separate process that keeps N HTTP/1.1 keep-alive connections busy.

    python -m bench.load --port 8000 --requests FILE --connections 32 --duration 20 [--cycle]

FILE holds whole pre-encoded requests (see `write_requests`), so the timed window spends no
time building or signing anything. Each connection sends one request, reads the whole
response, and sends the next: a closed loop, like wrk. Requests are taken in order and used
once unless `--cycle`; when they run out the run ends early and says so (`exhausted`).

Prints one JSON object: completed requests in the window, requests/s, p50/p99 latency, the
status codes seen, and CPU used in the window by this process and (with --server-pid) by the
server, so a reader can tell whether the load generator itself was the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import uvloop

LENGTH = struct.Struct("<I")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def encode_request(
    method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    count = 0
    with path.open("wb") as out:
        for request in requests:
            out.write(LENGTH.pack(len(request)))
            out.write(request)
            count += 1
    return count


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    requests: list[bytes] = []
    offset = 0
    while offset < len(data):
        (size,) = LENGTH.unpack_from(data, offset)
        offset += LENGTH.size
        requests.append(data[offset : offset + size])
        offset += size
    return requests


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (fields 14 and 15 of stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


@dataclass
class LoadResult:
    completed: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: int
    exhausted: bool
    connections: int
    loadgen_cpu_percent: float
    server_cpu_ms_per_request: float | None = None
    server_cpu_percent: float | None = None
    notes: list[str] = field(default_factory=list)


class TimedWindow:
    """The timed window: what completes inside it counts; warm-up before it does not."""

    def __init__(self) -> None:
        self.open = False
        self.closed = False
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors = 0


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def _connection(host: str, port: int, requests: Iterator[bytes], window: TimedWindow) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while not window.closed:
            request = next(requests, None)
            if request is None:
                return
            started = time.perf_counter()
            writer.write(request)
            try:
                status = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                if window.open and not window.closed:
                    window.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            finished = time.perf_counter()
            if window.open and not window.closed:
                window.latencies.append(finished - started)
                window.statuses[status] += 1
    finally:
        writer.close()


async def run_load(
    *,
    host: str,
    port: int,
    requests: list[bytes],
    connections: int,
    duration: float,
    warmup: float,
    cycle: bool,
    server_pid: int | None,
) -> LoadResult:
    window = TimedWindow()
    source: Iterator[bytes] = _cycled(requests) if cycle else iter(requests)
    tasks = [
        asyncio.create_task(_connection(host, port, source, window)) for _ in range(connections)
    ]
    await asyncio.sleep(warmup)
    window.open = True
    cpu_started = time.process_time()
    server_cpu_started = process_cpu_seconds(server_pid) if server_pid else 0.0
    started = time.perf_counter()
    _done, pending = await asyncio.wait(tasks, timeout=duration)
    window.closed = True
    elapsed = time.perf_counter() - started
    cpu_used = time.process_time() - cpu_started
    server_cpu = process_cpu_seconds(server_pid) - server_cpu_started if server_pid else 0.0
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    latencies = sorted(window.latencies)
    completed = len(latencies)
    return LoadResult(
        completed=completed,
        seconds=round(elapsed, 3),
        requests_per_second=completed / elapsed if elapsed else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        statuses={str(code): count for code, count in sorted(window.statuses.items())},
        errors=window.errors,
        exhausted=not pending,
        connections=connections,
        loadgen_cpu_percent=100 * cpu_used / elapsed if elapsed else 0.0,
        server_cpu_ms_per_request=(1000 * server_cpu / completed)
        if server_pid and completed
        else None,
        server_cpu_percent=(100 * server_cpu / elapsed) if server_pid and elapsed else None,
    )


def _cycled(requests: list[bytes]) -> Iterator[bytes]:
    while True:
        yield from requests


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--cycle", action="store_true")
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args(argv)
    requests = read_requests(args.requests)
    result = uvloop.run(
        run_load(
            host=args.host,
            port=args.port,
            requests=requests,
            connections=args.connections,
            duration=args.duration,
            warmup=args.warmup,
            cycle=args.cycle,
            server_pid=args.server_pid,
        )
    )
    sys.stdout.write(json.dumps(asdict(result)) + "\n")


if __name__ == "__main__":
    main()
