"""Database.writing() and writing_session(): a process's writers take turns in memory before
SQLite's own lock."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from donations import db as db_module
from donations.db import Database
from donations.models import AuditLog

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
        # Both ways in, interleaved: they queue in one line, not one line each.
        writers = (_write_slowly, _write_slowly_in_a_session)
        await asyncio.gather(*(writers[n % 2](db, n) for n in range(WRITERS)))
        assert await _audit_rows(db) == WRITERS
    finally:
        await db.dispose()
