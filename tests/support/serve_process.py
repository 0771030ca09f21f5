"""`donations serve` as an operator runs it: a child process with the limits it sets.

with donations_serve(environment) as server:   server.url, server.pid, server.rss_kib()
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
from pathlib import Path
from typing import IO

import httpx

from tests.support.servers import free_port

STARTUP_TIMEOUT = 30.0


@dataclass
class ServeProcess:
    url: str
    port: int
    pid: int
    log: IO[bytes]

    def rss_kib(self) -> int:
        """The server's resident memory now (one worker: uvicorn serves in this process)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError(f"no VmRSS for process {self.pid}")

    def log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def donations_serve(environment: dict[str, str]) -> Iterator[ServeProcess]:
    port = free_port()
    command = [sys.executable, "-m", "donations", "serve", "--port", str(port)]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **environment}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        server = ServeProcess(f"http://127.0.0.1:{port}", port, process.pid, log)
        try:
            _wait_until_ready(server, process)
            yield server
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_until_ready(server: ServeProcess, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"donations serve exited: {server.log_text()[-2000:]}")
        try:
            if httpx.get(server.url + "/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"donations serve did not become ready: {server.log_text()[-2000:]}")
