"""Things a test needs from the machine: a browser, Redis, the sqlite3 client, wrk. Missing:
skip with the reason, unless CI asked for them (REQUIRE_BROWSER=1, REQUIRE_REDIS=1,
REQUIRE_SQLITE3=1, REQUIRE_WRK=1), where missing fails."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from bench.wrk import wrk_path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _missing(what: str, required_by: str) -> None:
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{what} ({required_by}=1)")
    pytest.skip(what)


def require_browser() -> str:
    if not Path(CHROMIUM).exists():
        _missing(f"no browser at {CHROMIUM}; apt-get install chromium", "REQUIRE_BROWSER")
    return CHROMIUM


def require_redis() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            pass
    except OSError:
        _missing("no Redis at 127.0.0.1:6379", "REQUIRE_REDIS")
    return REDIS_URL


def require_sqlite3_client() -> str:
    """The benchmark's baseline runs the hand-written SQL through SQLite's own client."""
    client = shutil.which("sqlite3")
    if client is None:
        _missing("no sqlite3 client; apt-get install sqlite3", "REQUIRE_SQLITE3")
    return str(client)


def require_wrk() -> str:
    """The benchmark's load generator, as bench/wrk.py finds it."""
    wrk = wrk_path()
    if wrk is None:
        _missing("no wrk (or BENCH_LOADGEN=python); apt-get install wrk", "REQUIRE_WRK")
    return str(wrk)


# Where the browser tests keep their screenshots. A test run must not rewrite tracked files,
# so by default they go to a scratch folder; `SCREENSHOTS_DIR=docs/screenshots scripts/test
# tests/e2e -k browser` refreshes the ones the documentation shows.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "donations-screenshots"
).resolve()
