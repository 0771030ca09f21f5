"""Where the server's time goes: py-spy on the bench app while the bench loads it.

    python -m bench.profile [--target intake|checkout|progress] [--database sqlite|postgresql]
                            [--seconds 20] [--connections 32] [--size full]

Starts the bench app on the bench ledger and sends it what the benchmark sends (signed
scenario events, checkout requests, or GET /api/progress) while `py-spy record --gil` samples the server: only
samples holding the GIL count, so the shares are of the Python CPU time, not of waiting.
Prints the packages and functions with the largest share, by self and inclusive time, and
the share of the window the server held the GIL at all. Keeps the collapsed stacks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from bench import checkout_load, intake, ledger_db, progress
from bench.delivery import WEBHOOK_PATH
from bench.ledger_db import DEFAULT_POSTGRES, DEFAULT_RESULTS, database_url
from bench.measure import get_request, run_load
from bench.servers import app_and_emulator
from bench.sizes import SIZES

SAMPLE_RATE = 200
TOP = 25
REQUESTS_PER_SECOND_GUESS = 400


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rpartition(" ")
    return stack.split(";"), int(count)


def _package(frame: str) -> str:
    """`handle (webhooks/inbox.py:40)` -> `webhooks`; site-packages -> the distribution."""
    location = frame.rpartition("(")[2]
    path = location.split(":")[0]
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0]
    if "/lib/python3" in path:
        return "stdlib:" + path.rsplit("/", 1)[-1]
    return path.split("/")[0] if "/" in path else path


def summarize(collapsed: Path, *, possible: int) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        if not line.strip():
            continue
        frames, count = _frames(line)
        total += count
        self_time[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "no samples"

    def block(title: str, counts: Counter[str]) -> list[str]:
        rows = [f"{title} ({total} samples)"]
        rows += [f"  {100 * n / total:5.1f}%  {name}" for name, n in counts.most_common(TOP)]
        return rows

    project = Counter(
        {f: n for f, n in inclusive.items() if "(webhooks/" in f or "(donations/" in f}
    )
    lines = [
        f"the server held the GIL in {100 * total / possible:.0f}% of {possible} sample slots",
        "",
        *block("self time by package", packages),
        "",
        *block("self time by function", self_time),
        "",
        *block("inclusive time, project functions", project),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--target", choices=("intake", "checkout", "progress"), default="intake")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    size = SIZES[args.size]
    results: Path = args.results.resolve()
    logs = results / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = database_url(args.database, size, results, args.postgres_url)
    ledger_db.ensure_loaded(url, size.ledger)
    count = int(REQUESTS_PER_SECOND_GUESS * (args.seconds + 5))
    if args.target == "intake":
        requests = intake.signed_requests(WEBHOOK_PATH, count, seed=3)
    elif args.target == "checkout":
        requests = checkout_load.ours_requests(count)
    else:
        requests = [get_request(progress.PROGRESS_PATH)]
    collapsed = results / f"profile-{args.target}-{args.database}.txt"
    try:
        with app_and_emulator(database_url=url, logs=logs) as (app, _emulator):
            load: dict[str, object] = {}
            loader = threading.Thread(
                target=lambda: load.update(
                    run_load(
                        app, requests, connections=args.connections,
                        duration=args.seconds + 2, warmup=0.0, cycle=args.target == "progress",
                    )
                )
            )  # fmt: skip
            loader.start()
            subprocess.run(
                [
                    py_spy, "record", "--pid", str(app.pid), "--duration", str(int(args.seconds)),
                    "--rate", str(SAMPLE_RATE), "--format", "raw", "--output", str(collapsed),
                    "--nonblocking", "--gil",
                ],
                check=True, capture_output=True,
            )  # fmt: skip
            loader.join()
    finally:
        ledger_db.restore(url, size.ledger)
    print(summarize(collapsed, possible=int(args.seconds * SAMPLE_RATE)))
    print(f"\nload while profiling: {load.get('requests_per_second')}/s, {load.get('statuses')}")
    print(f"collapsed stacks: {collapsed}")


if __name__ == "__main__":
    main()
