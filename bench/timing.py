"""Repeat timers: whole commands as child processes, and coroutines in this process.

A command's peak memory is its own maximum resident set size as GNU time (/usr/bin/time -f
%M) reports it. Not wait4's rusage of our own child: Linux keeps a child's pre-exec peak,
and a child forked from this process starts as a copy of it (fs/exec.c, exec_mmap).
Without GNU time, that inflated figure is what is left, and `rss_method` says so.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.servers import PROJECT_ROOT

GNU_TIME = "/usr/bin/time"


@dataclass(frozen=True)
class Timing:
    median_seconds: float
    runs: list[float]
    # Largest peak RSS over the runs, in MB (commands only), and how it was read.
    max_rss_mb: float | None = None
    rss_method: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "median_seconds": self.median_seconds,
            "runs": self.runs,
            "max_rss_mb": self.max_rss_mb,
            "rss_method": self.rss_method,
        }


class CommandFailed(RuntimeError):
    pass


def time_command(
    command: list[str],
    *,
    repeats: int,
    env: dict[str, str],
    output: Path | None = None,
    stdin: Path | None = None,
) -> Timing:
    """Median wall time of `repeats` runs (after one untimed run when repeating 3+ times)."""
    runs: list[float] = []
    peak_kb = 0
    warmups = 1 if repeats >= 3 else 0
    peak_file = Path(tempfile.mkstemp(prefix="bench-rss-")[1])
    if Path(GNU_TIME).exists():
        command = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *command]
    for attempt in range(warmups + repeats):
        with (
            (output or Path(os.devnull)).open("wb") as out,
            (stdin or Path(os.devnull)).open("rb") as source,
        ):
            started = time.perf_counter()
            process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdin=source, stdout=out,
                stderr=subprocess.PIPE,
            )  # fmt: skip
            assert process.stderr is not None
            errors = process.stderr.read()
            _, status, usage = os.wait4(process.pid, 0)
            if attempt >= warmups:
                runs.append(time.perf_counter() - started)
            process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise CommandFailed(f"{' '.join(command)} exited {process.returncode}: {errors!r}")
        reported = peak_file.read_text().strip()
        peak_kb = max(peak_kb, int(reported.splitlines()[-1]) if reported else usage.ru_maxrss)
    peak_file.unlink()
    method = "GNU time %M" if command[0] == GNU_TIME else "wait4 ru_maxrss (includes pre-exec)"
    return Timing(
        round(statistics.median(runs), 4), [round(r, 4) for r in runs], peak_kb / 1024, method
    )


async def time_awaitable(work: Callable[[], Awaitable[object]], *, repeats: int) -> Timing:
    """Median of `repeats` runs, after one untimed run that opens the connection."""
    await work()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        await work()
        runs.append(time.perf_counter() - started)
    return Timing(round(statistics.median(runs), 4), [round(r, 4) for r in runs])
