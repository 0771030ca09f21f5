"""One-statement write transactions for the request path, with as little as possible around
the statement: `await write_alone(db, STATEMENT, params)`.

A checkout writes its row, calls Stripe, then notes the session on the row: two writes of
one statement each. Through `Database.writing()` each one was a pooled connection, BEGIN,
the statement through SQLAlchemy's execution (cache key, compiled-cache lookup, parameter
processing, result set-up), COMMIT and the connection's return: ~1 ms of CPU per checkout
on SQLite, and three round trips each on PostgreSQL (bench/PROFILE.md, fifth pass). A lone
statement is its own transaction, so:

- on a SQLite file, it runs on one sqlite3 connection of its own in autocommit, inline on
  the event loop, compiled once by SQLAlchemy (donations/prepared.py, which runs the
  webhook intake's statements the same way) with its bind processors; it queues behind
  this process's other writers (`Database.write_turn`) and, when another process holds the
  write lock, tries again after pauses (`Database.retry_busy`), like `writing()`;
- on PostgreSQL, it is sent to asyncpg as it is, outside any transaction (one round trip,
  not three, and none of SQLAlchemy's per-statement work), with asyncpg's errors raised as
  SQLAlchemy's (donations/prepared.py);
- elsewhere (an in-memory SQLite database), through `writing()`.

Either way it is committed when `write_alone` returns, and errors are SQLAlchemy's
(IntegrityError for a duplicate key; `unavailable()` sees a locked or unreachable database).

`wait_for_disk=False`, for an UPDATE that a caller can make again if it is lost: on
PostgreSQL, the commit does not wait for the write-ahead log to reach the disk
(`synchronous_commit` off for that transaction alone, set by the statement itself so that it
is still one round trip). A crash of the database server, not of ours, can then lose the
last fraction of a second of such commits; never corrupt, never half-written. The flush it
spares is most of a lone write's time on PostgreSQL (0.8-5 ms on our 2-core test machine,
against 0.15 ms for the statement alone). SQLite in WAL mode with synchronous=NORMAL (donations/
db.py) does not wait for the disk at commit anyway.
https://www.postgresql.org/docs/current/wal-async-commit.html
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Delete, Update, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from donations.db import Database
from donations.prepared import execute_alone, sql_and_arguments

# True once set, for the rest of the statement's own transaction (is_local): a filter on the
# rows written, so that it has run whenever a row is.
_COMMIT_WITHOUT_FLUSH = text("set_config('synchronous_commit', 'off', true) IS NOT NULL")


async def write_alone(
    db: Database,
    statement: UpdateBase,
    params: Mapping[str, Any],
    *,
    wait_for_disk: bool = True,
) -> int:
    """Run `statement` with `params` as a transaction of its own: the rows it touched.

    `statement` is built once (at module level, or cached), so that its compiled form is
    reused: an INSERT names its columns with `.values(column=bindparam(...))`.
    `wait_for_disk=False` (an UPDATE or DELETE only): see the module's docstring."""
    if not wait_for_disk:
        if not isinstance(statement, Update | Delete):
            raise TypeError("only an UPDATE or a DELETE can skip the wait for the disk")
        if not db.is_sqlite:
            statement = _without_flush(statement)
    connection = db.lone_sqlite()
    if connection is not None:
        return await _on_sqlite(db, connection, statement, params)
    if db.is_sqlite:
        async with db.writing() as writing:
            return (await writing.execute(statement, dict(params))).rowcount
    async with db.engine.connect() as plain:
        touched = await execute_alone(plain, statement, params)
        if touched is not None:
            return touched
        autocommit = await plain.execution_options(isolation_level="AUTOCOMMIT")
        return (await autocommit.execute(statement, dict(params))).rowcount


async def _on_sqlite(
    db: Database,
    connection: sqlite3.Connection,
    statement: UpdateBase,
    params: Mapping[str, Any],
) -> int:
    # Compiled once by SQLAlchemy, values converted by its own bind processors.
    sql, args = sql_and_arguments(statement, db.engine.dialect, params)
    async with db.write_turn():

        async def attempt() -> int:
            try:
                return connection.execute(sql, args).rowcount
            except sqlite3.Error as error:
                raise DBAPIError.instance(
                    sql, args, error, sqlite3.Error, dialect=db.engine.dialect
                ) from error

        return await db.retry_busy(attempt)


@cache
def _without_flush(statement: Update | Delete) -> Update | Delete:
    # Cached, so that the statement keeps one compiled form (donations/prepared.py).
    return statement.where(_COMMIT_WITHOUT_FLUSH)
