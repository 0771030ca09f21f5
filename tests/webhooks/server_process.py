"""The real app under uvicorn in a subprocess, as production runs it, for webhook e2e tests.

with webhook_server(database_url, workers=2) as server:   server.url, server.kill()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

from tests.conftest import TEST_WEBHOOK_SECRET
from tests.support.servers import free_port

STARTUP_TIMEOUT = 30.0


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    # stderr goes to a file, not a pipe: an unread pipe that fills up stalls the server.
    log: IO[bytes]

    def log_text(self) -> str:
        """What the server wrote on stderr so far: for assertion messages."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the server and its workers at once: no shutdown, no flushing."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def server_environment(database_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        # A key means no emulator is mounted; nothing on the webhook path calls Stripe.
        "STRIPE_SECRET_KEY": "sk_test_x",
        "STRIPE_API_BASE": "http://127.0.0.1:9",
    }


@contextmanager
def webhook_server(
    database_url: str, *, workers: int = 1, port: int | None = None
) -> Iterator[ServerProcess]:
    port = port or free_port()
    command = [
        sys.executable, "-m", "uvicorn", "donations.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--workers", str(workers),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            env=server_environment(database_url),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group: kill() reaches every worker
        )
        server = ServerProcess(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_until_ready(server)
            yield server
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()


def _wait_until_ready(server: ServerProcess) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            # stderr went to the log file (process.stderr is None): read it from there.
            raise RuntimeError(f"uvicorn exited: {server.log_text()[-2000:]}")
        try:
            response = httpx.get(server.url + "/readyz", timeout=1.0)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError("uvicorn did not become ready")
