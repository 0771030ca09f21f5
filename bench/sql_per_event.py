"""Statements and CPU per webhook event type, in process: what one delivery costs the database.

    python -m bench.sql_per_event [--database-url URL] [--events 1500] [--warmup 200]

Feeds the intake's scenario mix (bench/intake.py) through `webhooks.inbox.receive_dict`, one
event at a time, on a fresh database (a SQLite file in a temporary directory unless a
PostgreSQL URL is given; that database's tables are emptied first). A SQLAlchemy engine
listener (`before_cursor_execute`) counts the statements each event sends, BEGIN and COMMIT
included; the process's CPU time is taken around each event. Prints, per event type, the
count of events, statements per event and CPU ms per event, then the whole mix's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from bench.intake import scenario_events
from donations import migrations
from donations.db import Database, create_sync_engine, is_sqlite


def _fresh(url: str) -> None:
    if not is_sqlite(url):
        engine = create_sync_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrations.upgrade(url)


async def measure(url: str, *, events: int, warmup: int) -> list[tuple[str, int, float, float]]:
    from webhooks.inbox import receive_dict  # after the database exists: it loads handlers

    db = Database(url)
    counted = {"statements": 0}

    def count(*_: Any) -> None:
        counted["statements"] += 1

    # Writes may run on an engine of their own (SQLite: donations/db.py, _inline_engine).
    for engine in {db.engine, db.write_engine}:
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        # BEGIN (IMMEDIATE) and COMMIT are not cursor executes: count them too.
        event.listen(engine.sync_engine, "begin", count)
        event.listen(engine.sync_engine, "commit", count)
    per_type: dict[str, list[tuple[int, float]]] = defaultdict(list)
    try:
        for index, body in enumerate(scenario_events(seed=5)):
            if index >= warmup + events:
                break
            before, cpu = counted["statements"], time.process_time()
            await receive_dict(db, body)
            if index >= warmup:
                per_type[body["type"]].append(
                    (counted["statements"] - before, time.process_time() - cpu)
                )
    finally:
        await db.dispose()
    rows = []
    for kind, samples in sorted(per_type.items(), key=lambda item: -len(item[1])):
        statements = sum(s for s, _ in samples) / len(samples)
        cpu_ms = 1000 * sum(c for _, c in samples) / len(samples)
        rows.append((kind, len(samples), statements, cpu_ms))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_per_event", description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-statements-") as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'statements.db'}"
        _fresh(url)
        rows = asyncio.run(measure(url, events=args.events, warmup=args.warmup))
    total = sum(n for _, n, _, _ in rows)
    print("| event type | events | statements/event | CPU ms/event |")
    print("|---|---|---|---|")
    for kind, n, statements, cpu_ms in rows:
        print(f"| {kind} | {n} | {statements:.1f} | {cpu_ms:.2f} |")
    mean_statements = sum(n * s for _, n, s, _ in rows) / total
    mean_cpu = sum(n * c for _, n, _, c in rows) / total
    print(f"| all | {total} | {mean_statements:.2f} | {mean_cpu:.2f} |")


if __name__ == "__main__":
    main()
