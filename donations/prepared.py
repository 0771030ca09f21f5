"""The webhook intake's statements, compiled once and run on the driver's own connection.

    on_driver(session)                       run what follows in this transaction through here
    execute(session, statement, params)      -> Rows, or None when SQLAlchemy must run it

SQLAlchemy spends ~80-110 µs of CPU on each statement before and after the SQL itself (its
compiled cache, building parameters, a cursor and a result, two greenlet switches), against
~2 µs for SQLite to run a keyed statement and ~60 µs for asyncpg's round trip
(bench/PROFILE.md, fifth pass). A Stripe event sends 5-12 of them. Here a statement the
intake runs over and over is compiled once per dialect by SQLAlchemy itself (same SQL, same
parameter processors: a datetime is written as SQLite's text or bound for asyncpg exactly as
SQLAlchemy would) and then sent straight to the driver, on the connection and inside the
transaction SQLAlchemy began.

Only where it is the same statement every time: module-level statements, seen at least
once before (a statement built for one call is left to SQLAlchemy, whose cache is keyed by
its shape). An IN list is expanded as SQLAlchemy expands it, once per length met; a column's
Python default (created_at=utcnow) is computed per row as SQLAlchemy would. Not for an
executemany on PostgreSQL (asyncpg's returns no rows); on SQLite only on the write engine's
inline connection (donations/db.py), which runs on the event loop's thread. Everything else
goes through SQLAlchemy as before.
A driver error is raised as SQLAlchemy's DBAPIError around it, as SQLAlchemy would, so that
the inbox's retries (unique violations, deadlocks) see the same thing either way.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs
from sqlalchemy import Connection, Dialect, Executable
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.db import _InlineSqlite

_DRIVER = "donations.prepared.driver"

# Statements run once so far: one that comes back is worth compiling here, one built for a
# single call (its values inline) is cheaper left to SQLAlchemy's cache.
_seen: weakref.WeakSet[Executable] = weakref.WeakSet()
# Per statement and dialect name: its compiled form, or None when it is not plain enough.
_compiled: weakref.WeakKeyDictionary[Executable, dict[str, _Compiled | None]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class _Parameter:
    key: str
    name: str
    required: bool
    default: Any
    process: Callable[[Any], Any] | None
    # One item of an IN list expanded for this call: its position in the list given.
    index: int | None = None
    # A column's Python-side default (created_at=utcnow), computed per row as SQLAlchemy does.
    make: Callable[[], Any] | None = None

    def value(self, params: Mapping[str, Any]) -> Any:
        if self.key in params:
            value = params[self.key]
        elif self.name in params:
            value = params[self.name]
        elif self.make is not None:
            value = self.make()
        elif self.required:
            raise KeyError(f"a value is required for bind parameter {self.key!r}")
        else:
            value = self.default
        if self.index is not None:
            value = value[self.index]
        return value if self.process is None else self.process(value)


@dataclass
class _Shape:
    """The SQL and its positional parameters, for one length of each IN list."""

    sql: str
    parameters: tuple[_Parameter, ...]
    # Each parameter's key and processor, when every one is given by its own name, one item
    # each (most statements): taken straight from the mapping, half the cost of
    # `_Parameter.value`, and an intake statement has 5-20 of them. None otherwise.
    by_key: tuple[tuple[str, Callable[[Any], Any] | None], ...] | None = field(init=False)

    def __post_init__(self) -> None:
        direct = all(p.key == p.name and p.index is None for p in self.parameters)
        self.by_key = tuple((p.key, p.process) for p in self.parameters) if direct else None

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        if self.by_key is not None:
            try:
                return [
                    params[key] if process is None else process(params[key])
                    for key, process in self.by_key
                ]
            except KeyError:
                pass  # one is left to its default: the long way, which knows them
        return [parameter.value(params) for parameter in self.parameters]


@dataclass
class _Compiled:
    sqlalchemy: Any
    # The IN lists SQLAlchemy expands per call (one `?` per item): given, or in the statement.
    expanding: tuple[Any, ...]
    defaults: dict[str, Callable[[], Any]]
    shapes: dict[tuple[int, ...], _Shape]
    # None: the statement returns no rows.
    row: type[tuple[Any, ...]] | None
    processors: tuple[Callable[[Any], Any] | None, ...]

    def shape(self, params: Mapping[str, Any]) -> _Shape:
        if not self.expanding:  # most statements: one shape, made when compiled
            return self.shapes[()]
        lengths = tuple(len(params.get(bind.key, bind.value)) for bind in self.expanding)
        shape = self.shapes.get(lengths)
        if shape is None:
            shape = self.shapes[lengths] = _expanded(self, params)
        return shape

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Any]:
        assert self.row is not None
        if not any(self.processors):
            return [self.row._make(each) for each in raw]  # type: ignore[attr-defined]
        return [
            self.row._make(  # type: ignore[attr-defined]
                value if process is None else process(value)
                for value, process in zip(each, self.processors, strict=True)
            )
            for each in raw
        ]


class Rows:
    """The part of SQLAlchemy's result the handlers use."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self._rows]

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


def on_driver(session: AsyncSession) -> None:
    """From now until the transaction of the connection the session is bound to ends, run
    the session's plain statements on the driver's connection. Call it once the transaction
    has begun (on PostgreSQL, once a statement has run in it: SQLAlchemy's asyncpg adapter
    begins lazily). Read from the bound connection as it is, without asking the session
    for it: each ask was a trip through SQLAlchemy's greenlet bridge (~40 µs of CPU)."""
    connection = session.sync_session.bind
    if not isinstance(connection, Connection) or not connection.in_transaction():
        return
    driver = connection.connection.driver_connection
    if isinstance(driver, _InlineSqlite) and driver._connection is not None:
        driver = driver._connection
    elif not isinstance(driver, asyncpg.Connection) or not driver.is_in_transaction():
        return
    session.info[_DRIVER] = (connection.get_transaction(), driver, connection)


async def execute(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
) -> Rows | None:
    known = session.info.get(_DRIVER)
    if known is None:
        return None
    transaction, driver, connection = known
    if transaction is not connection.get_transaction():
        return None  # that transaction has ended
    # A dict first: isinstance of the Mapping ABC costs several times as much.
    one = params is None or isinstance(params, (dict, Mapping))
    on_sqlite = isinstance(driver, sqlite3.Connection)
    if not one and not on_sqlite:
        return None  # asyncpg's executemany returns no rows: SQLAlchemy batches these
    compiled = _plain(statement, connection.dialect)
    if compiled is None:
        return None
    if on_sqlite:
        each = [params or {}] if one else params
        return _on_sqlite(driver, compiled, each, connection)  # type: ignore[arg-type]
    assert params is None or isinstance(params, Mapping)
    return await _on_asyncpg(driver, compiled, params or {}, connection)


def _tell_listeners(connection: Connection, sql: str) -> None:
    """SQLAlchemy's `before_cursor_execute` listeners (tests and bench/sql_per_event.py
    count statements with one) hear of these statements too: the SQL, no cursor."""
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, None, sql, (), None, False)


def _on_sqlite(
    connection: sqlite3.Connection,
    compiled: _Compiled,
    each: Sequence[Mapping[str, Any]],
    listening: Connection,
) -> Rows:
    rows: list[Any] = []
    count = 0
    for one in each:
        shape = compiled.shape(one)
        arguments = shape.arguments(one)
        _tell_listeners(listening, shape.sql)
        try:
            cursor = connection.execute(shape.sql, arguments)
            if compiled.row is not None:
                rows += compiled.rows(cursor.fetchall())
        except sqlite3.Error as error:
            raise DBAPIError.instance(shape.sql, arguments, error, sqlite3.Error) from error
        count += max(cursor.rowcount, 0)
    return Rows(rows, count if compiled.row is None else len(rows))


async def _on_asyncpg(
    connection: asyncpg.Connection,
    compiled: _Compiled,
    params: Mapping[str, Any],
    listening: Connection,
) -> Rows:
    shape = compiled.shape(params)
    arguments = shape.arguments(params)
    _tell_listeners(listening, shape.sql)
    try:
        if compiled.row is not None:
            rows = compiled.rows(await connection.fetch(shape.sql, *arguments))
            return Rows(rows, len(rows))
        status = await connection.execute(shape.sql, *arguments)
    except asyncpg.PostgresError as error:
        raise _as_sqlalchemy_raises(error, shape.sql, arguments, listening.dialect) from error
    # "UPDATE 3", "INSERT 0 1", "DELETE 0": the count is the last word.
    last = status.rsplit(" ", 1)[-1]
    return Rows([], int(last) if last.isdigit() else -1)


def _as_sqlalchemy_raises(
    error: asyncpg.PostgresError, sql: str, arguments: list[Any], dialect: Dialect
) -> DBAPIError:
    """The error SQLAlchemy raises for this asyncpg error (IntegrityError for a unique
    violation, with the SQLSTATE on `orig`), through its asyncpg adapter's own translation."""
    dbapi: Any = dialect.loaded_dbapi
    try:
        AsyncAdapt_asyncpg_connection._handle_exception_no_connection(dbapi, error)
    except dbapi.Error as translated:
        wrapped: DBAPIError = DBAPIError.instance(
            sql, arguments, translated, dbapi.Error, dialect=dialect
        )
        return wrapped
    raise AssertionError("unreachable: the adapter raises")  # pragma: no cover


def sql_and_arguments(
    statement: Executable, dialect: Dialect, params: Mapping[str, Any]
) -> tuple[str, list[Any]]:
    """The SQL and positional arguments SQLAlchemy would send the driver for `statement` with
    `params`, compiled once per dialect: for a module-level statement run outside a
    session (donations/lone_writes.py). ValueError if the statement is not plain enough."""
    shape = _form(statement, dialect).shape(params)
    return shape.sql, shape.arguments(params)


async def execute_alone(
    connection: AsyncConnection, statement: Executable, params: Mapping[str, Any]
) -> int | None:
    """`statement` sent straight to the asyncpg connection under `connection`, which has
    begun no transaction: asyncpg runs it in one of its own, a single round trip. The rows it
    touched; None when `connection` is not asyncpg's (SQLAlchemy must run it)."""
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, asyncpg.Connection) or driver.is_in_transaction():
        return None
    form = _form(statement, connection.dialect)
    listening = connection.sync_connection
    assert listening is not None  # set once the connection has started, as here
    return (await _on_asyncpg(driver, form, params, listening)).rowcount


def _form(statement: Executable, dialect: Dialect) -> _Compiled:
    """`statement` compiled for `dialect`, whether or not it has been seen before."""
    form = _compiled_for(statement, dialect)
    if form is None:
        raise ValueError(f"not a statement the driver can be given as it is: {statement}")
    return form


def _plain(statement: Executable, dialect: Dialect) -> _Compiled | None:
    forms = _compiled.get(statement)
    if forms is not None and dialect.name in forms:
        return forms[dialect.name]  # the usual case: one lookup
    if statement not in _seen:
        _seen.add(statement)
        return None
    return _compiled_for(statement, dialect)


def _compiled_for(statement: Executable, dialect: Dialect) -> _Compiled | None:
    """`statement` compiled for `dialect`, once; None when it is not plain enough."""
    forms = _compiled.setdefault(statement, {})
    if dialect.name not in forms:
        forms[dialect.name] = _compile(statement, dialect)
    return forms[dialect.name]


def _compile(statement: Executable, dialect: Dialect) -> _Compiled | None:
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    defaults = _python_defaults(compiled)
    if (
        defaults is None
        or not compiled.positional
        or compiled.literal_execute_params
        or any(bind.callable is not None for bind in compiled.binds.values())
    ):
        return None
    expanding = tuple(compiled.post_compile_params)
    row: type[tuple[Any, ...]] | None = None
    result_processors: tuple[Callable[[Any], Any] | None, ...] = ()
    # What a SELECT, or a RETURNING clause, gives back (empty for other statements).
    columns = compiled._result_columns
    if columns:
        names = [_field(entry[0], index) for index, entry in enumerate(columns)]
        row = namedtuple("Row", names)  # type: ignore[misc,no-redef]  # names known at run time
        result_processors = tuple(
            entry[3]._cached_result_processor(dialect, None) for entry in columns
        )
    form = _Compiled(compiled, expanding, defaults, {}, row, result_processors)
    if not expanding:
        form.shapes[()] = _shape(form, compiled.string, compiled.positiontup, {}, None)
    return form


def _python_defaults(compiled: Any) -> dict[str, Callable[[], Any]] | None:
    """The columns an INSERT (or UPDATE) fills from a Python default it was not given, each
    with its default; None if one is not a plain value or function."""
    defaults: dict[str, Callable[[], Any]] = {}
    pairs = [(column, column.default) for column in compiled.insert_prefetch] + [
        (column, column.onupdate) for column in compiled.update_prefetch
    ]
    for column, default in pairs:
        if default is None or not (default.is_scalar or default.is_callable):
            return None
        defaults[column.key] = _default_maker(default)
    return defaults


def _default_maker(default: Any) -> Callable[[], Any]:
    arg = default.arg
    if not default.is_callable:
        return lambda: arg
    # SQLAlchemy wraps a function of no arguments as one of the execution context.
    return lambda: arg(None)


def _expanded(form: _Compiled, params: Mapping[str, Any]) -> _Shape:
    """The statement with each IN list as long as in `params`, as SQLAlchemy renders it."""
    state = form.sqlalchemy.construct_expanded_state(params, escape_names=False)
    items = {
        name: (original, index)
        for original, names in state.parameter_expansion.items()
        for index, name in enumerate(names)
    }
    return _shape(form, state.statement, state.positiontup, items, state.processors)


def _shape(
    form: _Compiled,
    sql: str,
    positions: Sequence[str],
    items: Mapping[str, tuple[str, int]],
    processors: Mapping[str, Any] | None,
) -> _Shape:
    compiled = form.sqlalchemy
    # An expanded state's processors are those of the IN lists' items only.
    processors = {**compiled._bind_processors, **(processors or {})}
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    parameters = []
    for position in positions:
        name, index = items.get(position, (position, None))
        bind = by_name[name]
        parameters.append(
            _Parameter(
                key=bind.key,
                name=name,
                required=bind.required,
                default=bind.value,
                process=processors.get(position),
                index=index,
                make=form.defaults.get(name),
            )
        )
    return _Shape(sql, tuple(parameters))


def _field(name: Any, index: int) -> str:
    text = str(name)
    return text if text.isidentifier() and not text.startswith("_") else f"column_{index}"
