"""`donations` as a user runs it: a child process with only the environment given."""

from __future__ import annotations

import subprocess
import sys

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
