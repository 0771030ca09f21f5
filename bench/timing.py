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
from collections.abc import Awaitable, Callable, Mapping
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


@dataclass(frozen=True)
class Command:
    """A command to time: its arguments, and the files for its stdin and stdout."""

    argv: list[str]
    stdin: Path | None = None
    output: Path | None = None


def time_command(
    command: list[str],
    *,
    repeats: int,
    env: dict[str, str],
    output: Path | None = None,
    stdin: Path | None = None,
) -> Timing:
    """Median wall time of `repeats` runs (after one untimed run when repeating 3+ times)."""
    timings = time_commands({"only": Command(command, stdin, output)}, repeats=repeats, env=env)
    return timings["only"]


def time_commands(
    commands: Mapping[str, Command], *, repeats: int, env: dict[str, str]
) -> dict[str, Timing]:
    """Each command's median wall time over `repeats` rounds, a round running every command
    once, each round starting one further along the list (after one untimed round when
    repeating 3+ times).

    Interleaved, because a ratio of two commands timed one block after the other measures
    the machine's drift too: on a shared 2-core machine, two runs of the same tree put one
    report command at 1.79 and 2.60 × its baseline (bench/PROFILE.md, ninth pass)."""
    names = list(commands)
    runs: dict[str, list[float]] = {name: [] for name in names}
    peaks = dict.fromkeys(names, 0)
    methods: dict[str, str] = {}
    warmups = 1 if repeats >= 3 else 0
    for round_number in range(warmups + repeats):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            seconds, peak_kb, methods[name] = _run_once(commands[name], env)
            peaks[name] = max(peaks[name], peak_kb)
            if round_number >= warmups:
                runs[name].append(seconds)
    return {
        name: Timing(
            round(statistics.median(runs[name]), 4),
            [round(r, 4) for r in runs[name]],
            peaks[name] / 1024,
            methods[name],
        )
        for name in names
    }


def _run_once(command: Command, env: dict[str, str]) -> tuple[float, int, str]:
    """One run's wall time in seconds, its peak RSS in KB, and how that was read."""
    argv = command.argv
    peak_file = Path(tempfile.mkstemp(prefix="bench-rss-")[1])
    if Path(GNU_TIME).exists():
        argv = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *argv]
    try:
        with (
            (command.output or Path(os.devnull)).open("wb") as out,
            (command.stdin or Path(os.devnull)).open("rb") as source,
        ):
            started = time.perf_counter()
            process = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env=env, stdin=source, stdout=out,
                stderr=subprocess.PIPE,
            )  # fmt: skip
            assert process.stderr is not None
            with process.stderr:
                errors = process.stderr.read()
            # wait4, not wait: the child's own rusage is the fallback for its peak memory.
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        returncode = process.returncode = os.waitstatus_to_exitcode(status)
        if returncode != 0:
            raise CommandFailed(f"{' '.join(argv)} exited {returncode}: {errors!r}")
        reported = peak_file.read_text().strip()
    finally:
        peak_file.unlink()
    if argv[0] == GNU_TIME and reported:
        return seconds, int(reported.splitlines()[-1]), "GNU time %M"
    return seconds, usage.ru_maxrss, "wait4 ru_maxrss (includes pre-exec)"


async def time_awaitable(work: Callable[[], Awaitable[object]], *, repeats: int) -> Timing:
    """Median of `repeats` runs, after one untimed run that opens the connection."""
    await work()
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        await work()
        runs.append(time.perf_counter() - started)
    return Timing(round(statistics.median(runs), 4), [round(r, 4) for r in runs])
