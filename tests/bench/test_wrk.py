"""bench/wrk.py and wrk.lua against a real uvicorn server: a run whose requests run out
before the window closes is timed over the span they took, not over wrk's whole window."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import encode_request, write_requests
from bench.servers import Server, _start, _stop, _wait_ready, free_port
from bench.wrk import run_wrk
from tests.support.environment import require_wrk

# Answers every request at once: the test measures the load generator, not a server.
APP = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})

uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""
WINDOW_SECONDS = 5.0
REQUESTS = 400
CONNECTIONS = 8


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    require_wrk()
    port = free_port()
    log = tmp_path / "server.log"
    process = _start([sys.executable, "-c", APP.replace("{port}", str(port))], log)
    try:
        _wait_ready(process, f"http://127.0.0.1:{port}/", log)
        yield Server(pid=process.pid, port=port)
    finally:
        _stop(process)


def test_a_run_that_runs_out_of_requests_is_timed_over_their_span(
    server: Server, tmp_path: Path
) -> None:
    requests_file = tmp_path / "requests.bin"
    write_requests(
        requests_file,
        (encode_request("POST", f"/event/{n}", body=b"{}") for n in range(REQUESTS)),
    )

    result = run_wrk(
        server, requests_file, connections=CONNECTIONS, duration=WINDOW_SECONDS, cycle=False
    )

    assert result["exhausted"] is True
    assert result["statuses"] == {"200": result["completed"]}
    # The thread stops when the last request is handed out: those still in flight are dropped.
    assert REQUESTS - CONNECTIONS <= result["completed"] <= REQUESTS
    # 400 trivial requests take a fraction of a second; wrk's own figure is the whole window,
    # which would make the rate under 80 a second.
    assert 0 < result["seconds"] < WINDOW_SECONDS / 2
    assert result["requests_per_second"] > (REQUESTS - CONNECTIONS) / (WINDOW_SECONDS / 2)


def test_a_cycled_run_is_timed_over_the_whole_window(server: Server, tmp_path: Path) -> None:
    requests_file = tmp_path / "requests.bin"
    write_requests(requests_file, [encode_request("GET", "/")])

    result = run_wrk(server, requests_file, connections=CONNECTIONS, duration=2.0, cycle=True)

    assert result["exhausted"] is False
    # wrk's own figure: the window it slept through, and its threads' joining after it.
    assert 2.0 <= result["seconds"] < 3.0
    assert result["completed"] > REQUESTS
