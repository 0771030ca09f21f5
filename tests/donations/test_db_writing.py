"""Database.writing(), writing_session() and lone writes (donations/lone_writes.py): a
process's writers take turns in memory before SQLite's own lock; on SQLite they run inline on
the event loop and wait for another process's lock with asyncio pauses, never in SQLite's busy
handler."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import bindparam, event, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

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


_LONE_NOTE = (
    update(AuditLog).where(col(AuditLog.detail) == bindparam("was")).values(detail=bindparam("now"))
)


async def test_a_write_that_need_not_wait_for_the_disk_is_committed_all_the_same(
    db: Database,
) -> None:
    await _write_alone(db, 1)
    async with db.engine.connect() as connection:
        backend = None if db.is_sqlite else await _backend(connection)
    sent: list[str] = []
    listen = event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    listen(lambda _connection, _cursor, statement, *_: sent.append(statement))

    touched = await write_alone(db, _LONE_NOTE, {"was": "1", "now": "noted"}, wait_for_disk=False)
    written = list(sent)  # on PostgreSQL; SQLite's lone writes have a connection of their own

    assert touched == 1
    async with db.engine.connect() as connection:
        assert (await connection.scalars(select(AuditLog.detail))).all() == ["noted"]
        if not db.is_sqlite:
            # The commit alone skipped the flush; the pooled connection did not keep the
            # setting for whoever uses it next.
            [update_sent] = written
            assert "set_config('synchronous_commit', 'off', true)" in update_sent
            assert await _backend(connection) == backend
            assert await connection.scalar(text("SHOW synchronous_commit")) == "on"


async def test_only_an_update_or_a_delete_may_skip_the_wait_for_the_disk(db: Database) -> None:
    values = {"at": utcnow(), "actor": "test", "action": "write", "detail": "1"}
    with pytest.raises(TypeError, match="only an UPDATE or a DELETE"):
        await write_alone(db, _LONE_AUDIT, values, wait_for_disk=False)
    assert await _audit_rows(db) == 0


async def _backend(connection: AsyncConnection) -> int | None:
    return await connection.scalar(text("SELECT pg_backend_pid()"))
