"""One-statement write transactions for the request path, with as little as possible around
the statement: `await write_alone(db, LoneStatement(update(...)), params)`.

A checkout writes its row, calls Stripe, then notes the session on the row: two writes of
one statement each. Through `Database.writing()` each one was a pooled connection, BEGIN,
the statement through SQLAlchemy's execution (cache key, compiled-cache lookup, parameter
processing, result set-up), COMMIT and the connection's return: ~1 ms of CPU per checkout
on SQLite, and three round trips each on PostgreSQL (bench/PROFILE.md, fifth pass). A lone
statement is its own transaction, so:

- on a SQLite file, it runs on one sqlite3 connection of its own in autocommit, inline on
  the event loop, compiled once with its bind processors applied by hand; it queues behind
  this process's other writers (`Database.write_turn`) and, when another process holds the
  write lock, tries again after pauses (`Database.retry_busy`), like `writing()`;
- on PostgreSQL, it runs in autocommit through SQLAlchemy (one round trip, not three);
- elsewhere (an in-memory SQLite database), through `writing()`.

Either way it is committed when `write_alone` returns, and errors are SQLAlchemy's
(IntegrityError for a duplicate key; `unavailable()` sees a locked or unreachable database).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from donations.db import Database


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: Mapping[str, Any]


@dataclass(eq=False)
class LoneStatement:
    """An INSERT, UPDATE or DELETE run alone; compiled once per dialect (`keys`: the
    parameters an INSERT is given, so that the columns it names are known). The caller gives
    every value: on SQLite the columns' Python-side defaults are not applied."""

    statement: UpdateBase
    keys: tuple[str, ...] | None = None
    _compiled: dict[str, _Compiled] = field(default_factory=dict, repr=False)

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(
                dialect=dialect, column_keys=list(self.keys) if self.keys is not None else None
            )
            if "POSTCOMPILE" in compiled.string:
                raise ValueError("an IN list is rendered per execution: use == ... OR ...")
            names = tuple(compiled.positiontup or ())
            # Sequence processors are for tuple types, which no lone statement binds.
            processors = cast(dict[str, Callable[[Any], Any]], compiled._bind_processors)
            found = self._compiled[dialect.name] = _Compiled(
                compiled.string,
                names,
                tuple(processors.get(name) for name in names),
                # Values written into the statement (`status == "created"`).
                {name: bind.value for name, bind in compiled.binds.items() if not bind.required},
            )
        return found


async def write_alone(db: Database, statement: LoneStatement, params: Mapping[str, Any]) -> int:
    """Run `statement` with `params` as a transaction of its own: the rows it touched."""
    connection = db.lone_sqlite()
    if connection is not None:
        return await _on_sqlite(db, connection, statement, params)
    if db.is_sqlite:
        async with db.writing() as writing:
            return (await writing.execute(statement.statement, dict(params))).rowcount
    async with db.engine.connect() as plain:
        autocommit = await plain.execution_options(isolation_level="AUTOCOMMIT")
        return (await autocommit.execute(statement.statement, dict(params))).rowcount


async def _on_sqlite(
    db: Database,
    connection: sqlite3.Connection,
    statement: LoneStatement,
    params: Mapping[str, Any],
) -> int:
    compiled = statement.compiled(db.engine.dialect)
    values = {**compiled.defaults, **params}
    args = [
        value if process is None else process(value)
        for value, process in zip(
            (values[name] for name in compiled.names), compiled.processors, strict=True
        )
    ]
    async with db.write_turn():

        async def attempt() -> int:
            try:
                return connection.execute(compiled.sql, args).rowcount
            except sqlite3.Error as error:
                raise DBAPIError.instance(
                    compiled.sql, args, error, sqlite3.Error, dialect=db.engine.dialect
                ) from error

        return await db.retry_busy(attempt)
