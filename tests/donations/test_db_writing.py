"""Database.writing(), writing_session() and lone writes (donations/lone_writes.py): a
process's writers take turns in memory before SQLite's own lock; on SQLite they run inline on
the event loop and wait for another process's lock with asyncio pauses, never in SQLite's busy
handler."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import OperationalError

from donations import db as db_module
from donations.db import Database, Timeouts, is_sqlite, unavailable
from donations.lone_writes import write_alone
from donations.models import AuditLog, utcnow

pytestmark = pytest.mark.asyncio

WRITERS = 20


async def _write_slowly(db: Database, number: int) -> None:
    async with db.writing() as connection:
        await connection.execute(
            AuditLog.__table__.insert().values(  # type: ignore[attr-defined]
                actor="test", action="write", detail=str(number)
            )
        )
        # Hold the transaction open across a pause, as a handler waiting on I/O would.
        await asyncio.sleep(0.005)


async def _write_slowly_in_a_session(db: Database, number: int) -> None:
    async with db.writing_session() as session:
        session.add(AuditLog(actor="test", action="write", detail=str(number)))
        await session.flush()
        await asyncio.sleep(0.005)


_LONE_AUDIT = AuditLog.__table__.insert().values(  # type: ignore[attr-defined]
    {name: bindparam(name) for name in ("at", "actor", "action", "detail")}
)


async def _write_alone(db: Database, number: int) -> None:
    values = {"at": utcnow(), "actor": "test", "action": "write", "detail": str(number)}
    await write_alone(db, _LONE_AUDIT, values)


async def _audit_rows(db: Database) -> int:
    async with db.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(AuditLog)) or 0)


async def test_concurrent_writers_of_one_process_never_meet_at_the_database_lock(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No busy timeout: a writer that found SQLite's lock taken would fail at once with
    # "database is locked" (without the queue, this test fails so on SQLite).
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 0)
    db = Database(database_url)
    try:
        # Every way in, interleaved: they queue in one line, not one line each.
        writers = (_write_slowly, _write_slowly_in_a_session, _write_alone)
        await asyncio.gather(*(writers[n % 3](db, n) for n in range(WRITERS)))
        assert await _audit_rows(db) == WRITERS
    finally:
        await db.dispose()


def _sqlite_file(database_url: str) -> str:
    if not is_sqlite(database_url):
        pytest.skip("SQLite's write lock")
    return database_url.removeprefix("sqlite:///")


@pytest.mark.parametrize("write", [_write_slowly, _write_alone])
async def test_a_write_waits_for_another_process_lock_without_blocking_the_event_loop(
    database_url: str, write: Callable[[Database, int], Awaitable[None]]
) -> None:
    # Another process's writer, as the sqlite3 module would hold it: BEGIN IMMEDIATE.
    other = sqlite3.connect(_sqlite_file(database_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db = Database(database_url)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        writer = asyncio.create_task(write(db, 1))
        await asyncio.sleep(0.3)
        assert not writer.done()
        # The loop kept running while the writer waited for the lock: ~60 ticks in 0.3 s.
        assert ticks >= 20
        other.execute("COMMIT")
        await asyncio.wait_for(writer, timeout=5)
        assert await _audit_rows(db) == 1
    finally:
        ticker.cancel()
        other.close()
        await db.dispose()


@pytest.mark.parametrize("write", [_write_slowly, _write_alone])
async def test_a_lock_held_past_the_busy_timeout_is_the_database_not_answering(
    database_url: str, write: Callable[[Database, int], Awaitable[None]]
) -> None:
    other = sqlite3.connect(_sqlite_file(database_url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    db = Database(database_url, timeouts=Timeouts(statement=0.2))
    try:
        with pytest.raises(OperationalError) as raised:
            await write(db, 1)
        assert unavailable(raised.value)
    finally:
        other.close()
        await db.dispose()
    assert await _count_after_reopening(database_url) == 0


async def _count_after_reopening(database_url: str) -> int:
    db = Database(database_url)
    try:
        return await _audit_rows(db)
    finally:
        await db.dispose()
