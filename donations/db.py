"""Database engines: async for the web app and CLI, sync for Alembic.

One DATABASE_URL names the database; the driver is picked here so that a plain
`postgresql://` or `sqlite:///` URL from a hosting provider works unchanged.

SQLite is tuned for a web server with concurrent writers:
- WAL, so readers never wait for the writer;
- a busy timeout, so a writer waits for the lock instead of failing, and for no longer than
  that (the app's DATABASE_STATEMENT_TIMEOUT, else 30 s);
- `BEGIN IMMEDIATE` on write engines, because a deferred transaction that reads and then
  writes cannot wait for the lock: SQLite answers "database is locked" at once
  (https://www.sqlite.org/lang_transaction.html, "BEGIN DEFERRED").

Nothing waits on the database for ever: opening a connection (or waiting for one from the
pool) takes at most the connect timeout, everywhere. The web app also bounds every statement
(`Timeouts`): PostgreSQL cancels it after DATABASE_STATEMENT_TIMEOUT (`statement_timeout`),
and asyncpg gives up on a server that stops answering altogether a moment later. Commands and
migrations get no statement bound: an index build or a year's export takes what it takes.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import tempfile
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

_T = TypeVar("_T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Opening a connection, when nothing else is said: a database that does not answer in this
# long is not there.
CONNECT_TIMEOUT_SECONDS = 10.0
# asyncpg's own clock runs this much past the server's statement_timeout, so that the server's
# clean cancel normally wins and the client's only catches a server that stopped answering.
_CLIENT_MARGIN_SECONDS = 2.0

# Connections a process keeps to PostgreSQL: SQLAlchemy's default maximum (5 kept + 10 more),
# all kept. With 5 kept, 32 concurrent checkouts opened and closed a connection (TLS attempt,
# startup, statements prepared again) for most of their one-statement writes: a third of
# the server's CPU (bench/PROFILE.md, fifth pass). Opened on demand, never more than before.
PG_POOL_SIZE = 15

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def _with_driver(url: str, drivers: dict[str, str]) -> str:
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    backend = parsed.get_backend_name()
    if backend not in drivers:
        raise ValueError(f"DATABASE_URL must be sqlite or postgresql, not {backend!r}")
    if "+" in parsed.drivername:
        return parsed.render_as_string(hide_password=False)
    return parsed.set(drivername=drivers[backend]).render_as_string(hide_password=False)


def async_url(url: str) -> str:
    return _with_driver(url, _ASYNC_DRIVERS)


def sync_url(url: str) -> str:
    return _with_driver(url, _SYNC_DRIVERS)


def shown_url(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


# What opening a connection raises when the database is not there: the driver's error
# (wrapped by SQLAlchemy), or asyncpg's OSError when no server answers at that address.
OPEN_ERRORS = (DBAPIError, OSError)


# PostgreSQL's words for "not now" (https://www.postgresql.org/docs/current/errcodes-appendix.html):
# the statement timeout, a lock not to be had, the server shutting down or starting, too many
# connections; and any "08" connection exception.
_NOT_NOW_SQLSTATES = frozenset({"57014", "55P03", "57P01", "57P02", "57P03", "53300"})
# SQLite's: the write lock stayed taken past the busy timeout.
_NOT_NOW_SQLITE = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})


def unavailable(error: BaseException) -> bool:
    """True when `error` says the database did not answer in time or could not be reached,
    rather than that a statement was wrong: a 503 to retry later, not a bug.

    asyncpg raises the socket's own OSError (refused, reset, timed out) while connecting and
    its TimeoutError when a server stops answering; SQLAlchemy wraps neither."""
    if isinstance(error, OSError | PoolTimeout):  # TimeoutError is an OSError
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith("08") or sqlstate in _NOT_NOW_SQLSTATES
    return getattr(error.orig, "sqlite_errorname", None) in _NOT_NOW_SQLITE


def cannot_open(url: str, error: Exception) -> str:
    """One line for whoever set DATABASE_URL, in place of a driver's traceback: the driver's
    reason, and for SQLite what is wrong with the folder and what to do about it."""
    reason = error.orig if isinstance(error, DBAPIError) else error
    line = f"cannot open the database {shown_url(url)}: {' '.join(str(reason).split())}"
    problem = sqlite_folder_problem(url)
    return line if problem is None else f"{line}: {problem}"


def sqlite_folder_problem(url: str) -> str | None:
    """What stops SQLite in the database's folder, with the fix; None for PostgreSQL, an
    in-memory database, or a folder SQLite can work in.

    SQLite creates its file, and its journal and WAL files, beside the database: the folder
    itself must be writable, not only the file. Whether it is writable is tried (a temporary
    file made and removed), not guessed from permission bits, which root ignores and a
    read-only mount or an immutable folder do not show."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    folder = Path(database).absolute().parent
    if not folder.is_dir():
        return (
            f"the folder {folder} does not exist; create it, or set DATABASE_URL to a file in "
            "a folder that does"
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        return (
            f"SQLite writes beside the database, and the folder {folder} is read-only for this "
            "user; make it writable, or set DATABASE_URL to a file in a writable folder"
        )
    return None


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@dataclass(frozen=True)
class Timeouts:
    """How long, in seconds, the database may take to let us in, and to run one statement
    (None: as long as it takes)."""

    connect: float = CONNECT_TIMEOUT_SECONDS
    statement: float | None = None

    @property
    def sqlite_busy_ms(self) -> int:
        return SQLITE_BUSY_TIMEOUT_MS if self.statement is None else int(self.statement * 1000)


def _async_options(url: str, timeouts: Timeouts) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_timeout": timeouts.connect}
    if is_sqlite(url):
        return options  # the busy timeout is set on each connection (_tune_sqlite)
    connect: dict[str, Any] = {"timeout": timeouts.connect}
    options.update(pool_size=PG_POOL_SIZE, max_overflow=0)
    if timeouts.statement is not None:
        connect["command_timeout"] = timeouts.statement + _CLIENT_MARGIN_SECONDS
        connect["server_settings"] = {"statement_timeout": str(int(timeouts.statement * 1000))}
    return options | {"connect_args": connect}


def _sync_options(url: str, timeouts: Timeouts) -> dict[str, Any]:
    if is_sqlite(url):
        return {}
    # libpq takes whole seconds and treats anything under 2 as 2.
    return {"connect_args": {"connect_timeout": max(2, math.ceil(timeouts.connect))}}


def _set_pragmas(connection: Any, *, busy_ms: int, foreign_keys: bool = True) -> None:
    """Every connection of ours to a SQLite file: WAL, foreign keys, the busy timeout."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _tune_sqlite(
    engine: Engine,
    *,
    immediate: bool,
    busy_ms: int,
    foreign_keys: bool = True,
    inline: bool = False,
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        _set_pragmas(dbapi_connection, busy_ms=busy_ms, foreign_keys=foreign_keys)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if inline:
            _begin_on_sqlite3(connection)
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _begin_on_sqlite3(connection: Any) -> None:
    """An inline connection's BEGIN IMMEDIATE, sent to sqlite3 itself: through
    exec_driver_sql (an execution context, a cursor, a result) it was ~50 µs of CPU, a sixth
    of a write transaction's cost in SQLAlchemy (bench/PROFILE.md, seventh pass). A refusal
    is raised as SQLAlchemy would raise it, so that `Database.retry_busy` waits for the lock."""
    sqlite = connection.connection.driver_connection._connection
    try:
        sqlite.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error


def create_app_engine(
    url: str, *, writes: bool = True, timeouts: Timeouts | None = None, **kwargs: Any
) -> AsyncEngine:
    """An async engine; `writes=False` for report readers, which need no write lock."""
    timeouts = timeouts or Timeouts()
    engine = create_async_engine(async_url(url), **(_async_options(url, timeouts) | kwargs))
    if is_sqlite(url):
        _tune_sqlite(engine.sync_engine, immediate=writes, busy_ms=timeouts.sqlite_busy_ms)
    return engine


class _InlineSqlite(aiosqlite.Connection):
    """aiosqlite's connection, but each call runs at once in the calling thread (the event
    loop's) instead of being handed to the connection's own thread and waited for.

    aiosqlite makes ~4 thread hand-offs per statement, each a queue put, a wake-up of the
    other thread and a call_soon_threadsafe back: ~0.1-0.4 ms of GIL ping-pong on a busy
    2-core machine, against 10-50 µs for the SQLite work of a write transaction's statements
    (bench/PROFILE.md, fourth pass). Only for write transactions (Database.writing), whose
    statements are short, and which never wait on SQLite's lock here (see `_inline_engine`).
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    database = make_url(url).database
    return database if database and database != ":memory:" else None


def _inline_engine(url: str, path: str, **kwargs: Any) -> AsyncEngine:
    """The write engine of a SQLite file: inline connections (one is enough: this process's
    writers take turns) with no busy timeout, so that a statement never sleeps in SQLite's
    busy handler on the event loop's thread. Waiting for another process's write lock is
    done by `Database._begin_writing`, with asyncio.sleep between tries."""

    def connect() -> aiosqlite.Connection:
        # The connection is opened in aiosqlite's thread and then used from the loop's.
        connector = partial(sqlite3.connect, path, check_same_thread=False)
        return _InlineSqlite(connector, iter_chunk_size=64)

    pool = {"pool_size": 1, "max_overflow": 4}
    engine = create_async_engine(async_url(url), async_creator=connect, **(pool | kwargs))
    _tune_sqlite(engine.sync_engine, immediate=True, busy_ms=0, inline=True)
    return engine


def _in_use(session: AsyncSession) -> bool:
    """Whether a session has begun, or holds ORM objects, and so has something to commit or
    close. The webhook intake's sessions on SQLite usually have not (their statements go to
    the driver: donations/prepared.py); committing and closing one anyway were two trips
    through SQLAlchemy's greenlet bridge and a task, ~40 µs of CPU per transaction."""
    sync = session.sync_session
    return sync.in_transaction() or bool(sync.identity_map) or bool(sync.new)


def _lock_taken(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlite_errorname", None) in _NOT_NOW_SQLITE


def create_sync_engine(
    url: str, *, timeouts: Timeouts | None = None, foreign_keys: bool = True, **kwargs: Any
) -> Engine:
    """The engine of migrations and start-up checks: a connect timeout, no statement bound.

    `foreign_keys=False` is for migrations on SQLite: altering a table there means copying it
    and dropping the original, and dropping a parent table with foreign keys enforced deletes
    every row that refers to it (`ON DELETE CASCADE`), so Alembic's batch mode runs with them
    off and the migration checks them once it is done
    (https://www.sqlite.org/lang_altertable.html#otheralter)."""
    timeouts = timeouts or Timeouts()
    engine = create_engine(sync_url(url), **(_sync_options(url, timeouts) | kwargs))
    if is_sqlite(url):
        _tune_sqlite(
            engine, immediate=False, busy_ms=timeouts.sqlite_busy_ms, foreign_keys=foreign_keys
        )
    return engine


class Database:
    """The app's engine and session factory; one per process.

    Write transactions on the request path go through `writing()` (a connection) or
    `writing_session()`: on SQLite, this process's writers queue for the one write lock in
    memory, first come first served. Left to SQLite, a writer that finds the lock taken
    polls it with growing sleeps (up to 100 ms each), so that under concurrent checkouts
    the unlucky ones wait seconds. Other processes still meet at SQLite's lock.
    PostgreSQL locks rows, not the database: nothing to queue for.

    On a SQLite file the write transactions run on their own engine, whose connections run
    each statement inline on the event loop (`_InlineSqlite`); reads keep aiosqlite's thread,
    since a report may read for a second.
    """

    def __init__(
        self,
        url: str,
        *,
        writes: bool = True,
        timeouts: Timeouts | None = None,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.timeouts = timeouts or Timeouts()
        self.engine = create_app_engine(url, writes=writes, timeouts=timeouts, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        self.is_sqlite = is_sqlite(url)
        self._queues_for_writing = self.is_sqlite
        path = _sqlite_file(url) if self.is_sqlite and writes else None
        self._lone_path = path
        self._lone: sqlite3.Connection | None = None
        # On a SQLite file, the write connection between write transactions (`_put_back`).
        self._kept: AsyncConnection | None = None
        self.write_engine = (
            _inline_engine(url, path, **engine_kwargs) if path is not None else self.engine
        )
        # One lock per event loop (tests run many loops; an asyncio.Lock belongs to one).
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction on a connection, committed on leaving."""
        async with self.write_turn():
            connection = await self._begin_writing()
            try:
                yield connection
                await connection.commit()
            finally:
                await self._put_back(connection)

    async def _put_back(self, connection: AsyncConnection) -> None:
        """Roll back whatever was not committed, and give the connection back. On a SQLite
        file the write engine's connection is kept for the next write transaction (this
        process's writers take turns): checking it out of the pool and back in was ~50 µs
        of CPU per transaction, a third of what SQLAlchemy costs the intake's
        (bench/PROFILE.md, seventh pass). One that failed is closed, not kept."""
        if self.write_engine is self.engine or self._kept is not None:
            await connection.close()  # rolls back
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        except BaseException:
            await connection.close()
            raise
        if connection.closed or connection.invalidated:
            await connection.close()  # back to the pool, which opens a new one next time
        else:
            self._kept = connection

    @asynccontextmanager
    async def writing_session(self) -> AsyncIterator[AsyncSession]:
        """A write transaction in a session, committed on leaving."""
        # The session joins the connection's transaction: its commit flushes what was
        # added (ORM rows) and leaves committing to `writing`.
        async with self.writing() as connection:
            session = AsyncSession(bind=connection, expire_on_commit=False)
            try:
                yield session
                if _in_use(session):
                    await session.commit()
            finally:
                if _in_use(session):
                    await session.close()

    async def _begin_writing(self) -> AsyncConnection:
        """A connection of the write engine in a begun transaction (on SQLite: holding the
        write lock)."""

        async def attempt() -> AsyncConnection:
            connection = self._kept or await self.write_engine.connect()
            self._kept = None
            try:
                await connection.begin()
            except DBAPIError:
                await connection.close()
                raise
            return connection

        if self.write_engine is self.engine:
            return await attempt()
        return await self.retry_busy(attempt)

    async def retry_busy(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """`attempt()`, on a connection with no busy timeout (inline on the event loop):
        while another process holds SQLite's write lock, tried again after a pause (1 ms
        doubling to 50 ms), up to the busy timeout the other engines wait."""
        pause, waited = 0.001, 0.0
        while True:
            try:
                return await attempt()
            except DBAPIError as error:
                if not _lock_taken(error) or waited >= self._busy_seconds:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.05)

    def lone_sqlite(self) -> sqlite3.Connection | None:
        """On a SQLite file, a connection of its own for one-statement writes
        (donations/lone_writes.py), used inline on the event loop and in autocommit: a
        statement is its own transaction. Tuned as the inline engine's (no busy timeout:
        `retry_busy` waits instead). None for PostgreSQL and in-memory databases."""
        if self._lone is None and self._lone_path is not None:
            connection = sqlite3.connect(
                self._lone_path, isolation_level=None, check_same_thread=False
            )
            _set_pragmas(connection, busy_ms=0)
            self._lone = connection
        return self._lone

    @property
    def _busy_seconds(self) -> float:
        return self.timeouts.sqlite_busy_ms / 1000

    @asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """This process's turn to write: on SQLite, writers queue here, first come first
        served; on PostgreSQL, no wait."""
        if not self._queues_for_writing:
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        async with lock:
            yield

    async def dispose(self) -> None:
        if self._kept is not None:
            await self._kept.close()
            self._kept = None
        if self._lone is not None:
            self._lone.close()
            self._lone = None
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
