"""`donations` as a user runs it: a child process with only the environment given, or (for
tests that run it many times) in this process, which skips the seconds of imports."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from typer.testing import CliRunner, Result

from donations.cli import build
from donations.settings import get_settings

# A command that hangs fails its test instead of the whole run.
TIMEOUT_SECONDS = 60


def donations(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "donations", *args],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=TIMEOUT_SECONDS,
    )


async def in_process(*args: str, env: dict[str, str]) -> Result:
    """Every command, in a thread of its own: a command runs its own event loop."""

    def run() -> Result:
        # Settings are cached per process: each run reads the environment it is given.
        get_settings.cache_clear()
        return CliRunner().invoke(build(), list(args), env=env)

    return await asyncio.to_thread(run)
