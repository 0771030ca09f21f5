"""Servers under test as child processes: the bench app and the standalone Stripe emulator."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
PR_SET_PDEATHSIG = 1


@dataclass
class Server:
    pid: int
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def child_environment(**extra: str) -> dict[str, str]:
    """The bench's environment, minus a developer's settings, which must not leak in."""
    from donations.settings import Settings

    environment = {
        name: value for name, value in os.environ.items() if name not in Settings.model_fields
    }
    environment.update(extra)
    return environment


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the bench dies, however it dies (prctl(2))."""
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as log_file:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=child_environment(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; see {log}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready at {url} after {STARTUP_TIMEOUT:.0f} s; see {log}")


@contextmanager
def app_and_emulator(*, database_url: str, logs: Path) -> Iterator[tuple[Server, Server]]:
    """The bench app, talking to the emulator (as shipped, sending no webhooks) as Stripe.

    Both start at once; the app does not call the emulator until a checkout comes in.
    """
    app_port, emulator_port = free_port(), free_port()
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    started = [
        (
            _start(python_module("stripe_emulator", "--port", str(emulator_port)), logs / "emulator.log"),
            # Any answer below 500 means the emulator is up (an unknown session is a 404).
            f"{emulator_url}/v1/checkout/sessions/cs_ready",
            logs / "emulator.log",
        ),
        (
            _start(
                python_module(
                    "bench.bench_app", "--port", str(app_port), "--database-url", database_url,
                    "--stripe-api-base", emulator_url,
                ),
                logs / "app.log",
            ),
            f"http://127.0.0.1:{app_port}/healthz",
            logs / "app.log",
        ),
    ]  # fmt: skip
    try:
        for process, ready_url, log in started:
            _wait_ready(process, ready_url, log)
        (emulator, _, _), (app, _, _) = started
        yield Server(pid=app.pid, port=app_port), Server(pid=emulator.pid, port=emulator_port)
    finally:
        for process, _, _ in started:
            _stop(process)


@contextmanager
def bare_floor(*, database_url: str, progress_from: str, logs: Path) -> Iterator[Server]:
    """The floors outside our stack (bench/bare_app.py), on the raw driver of `database_url`,
    repeating the answer of `progress_from` (ours, already up) as its progress endpoint."""
    from bench.ledger_db import libpq_url

    port = free_port()
    raw_url = database_url if database_url.startswith("sqlite:///") else libpq_url(database_url)
    command = python_module(
        "bench.bare_app", "--port", str(port), "--database-url", raw_url,
        "--progress-from", progress_from,
    )  # fmt: skip
    log = logs / "bare.log"
    process = _start(command, log)
    try:
        # The bare app has no health route: its progress endpoint answers once it is up.
        _wait_ready(process, f"http://127.0.0.1:{port}/bare/progress", log)
        yield Server(pid=process.pid, port=port)
    finally:
        _stop(process)
