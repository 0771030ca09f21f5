"""bench/timing.py's command timer: commands interleaved round by round, each its own median."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.timing import Command, CommandFailed, time_commands


def _noting(name: str, log: Path, *, sleep: float = 0.0) -> Command:
    # Each run appends its name to `log`, so the order of the runs can be read back.
    code = f"import time; time.sleep({sleep}); open({str(log)!r}, 'a').write({name!r} + ' ')"
    return Command([sys.executable, "-c", code])


def test_each_round_runs_every_command_starting_one_further_along(tmp_path: Path) -> None:
    log = tmp_path / "runs"
    commands = {name: _noting(name, log) for name in ("ours", "sql", "python")}

    timings = time_commands(commands, repeats=3, env={})

    # One untimed round, then three timed ones, each starting one command further on.
    assert log.read_text().split() == [
        *("ours", "sql", "python"),
        *("sql", "python", "ours"),
        *("python", "ours", "sql"),
        *("ours", "sql", "python"),
    ]
    assert {name: len(timing.runs) for name, timing in timings.items()} == {
        "ours": 3,
        "sql": 3,
        "python": 3,
    }


def test_each_command_gets_its_own_median_and_peak_memory(tmp_path: Path) -> None:
    log = tmp_path / "runs"
    # Half a second apart: a loaded machine's start-up jitter is well under that.
    commands = {"slow": _noting("slow", log, sleep=0.5), "quick": _noting("quick", log)}

    timings = time_commands(commands, repeats=2, env={})

    # Two repeats: no untimed round.
    assert log.read_text().split() == ["slow", "quick", "quick", "slow"]
    slow, quick = timings["slow"], timings["quick"]
    assert min(slow.runs) >= 0.5
    assert slow.median_seconds - quick.median_seconds >= 0.3
    # A Python interpreter's resident set: more than 1 MB, far less than 1 GB.
    assert slow.max_rss_mb is not None and 1 < slow.max_rss_mb < 1024


def test_a_failing_command_stops_the_timing_with_its_exit_code(tmp_path: Path) -> None:
    commands = {"fails": Command([sys.executable, "-c", "raise SystemExit(3)"])}

    with pytest.raises(CommandFailed, match="exited 3"):
        time_commands(commands, repeats=1, env={})
