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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from donations.db import Database
from donations.prepared import execute_alone, sql_and_arguments


async def write_alone(db: Database, statement: UpdateBase, params: Mapping[str, Any]) -> int:
    """Run `statement` with `params` as a transaction of its own: the rows it touched.

    `statement` is built once (at module level, or cached), so that its compiled form is
    reused: an INSERT names its columns with `.values(column=bindparam(...))`."""
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
