"""The bench ledger database: loaded once, kept between runs, put back after traffic.

SQLite: a file under bench/results/; PostgreSQL: the bench database (test_bench by default).
Loading goes around the app on purpose (it is load data, not what is measured): executemany
in one transaction per table on SQLite, COPY through psycopg on PostgreSQL, then ANALYZE.
A database is reused as it is when it carries the fingerprint of the schema and of the
generator it was loaded with (a migration edited in place changes it) and its row counts and
last ids match the wanted size.

The HTTP benchmarks write to the same database (webhooks book new payments, checkout creates
sessions); `restore` deletes everything past the loaded ids, and every row of the tables the
loader does not fill, so the next run finds it intact.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from datetime import date, datetime
from pathlib import Path

import psycopg
from sqlalchemy import make_url, text
from sqlmodel import SQLModel

from bench import ledger_rows
from bench.ledger_rows import COLUMNS, LOAD_ORDER, Row, build, expected_counts, tables
from bench.sizes import LedgerSize, Size
from donations import migrations, models
from donations.db import create_sync_engine, is_sqlite

models.load_all()  # every table on SQLModel.metadata: restore empties them all
logger = logging.getLogger(__name__)

DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test_bench"
FLOOR_TABLE = "bench_floor"
FINGERPRINT_TABLE = "bench_ledger"
MIGRATIONS = Path(migrations.PROJECT_ROOT) / "alembic" / "versions"


def database_url(name: str, size: Size, results: Path, postgres_url: str) -> str:
    """The bench ledger of this size: a SQLite file in `results`, or the PostgreSQL one."""
    if name == "sqlite":
        return f"sqlite:///{results / f'ledger-{size.name}.db'}"
    return postgres_url


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def libpq_url(url: str) -> str:
    """psql and psycopg take a plain postgresql:// URL."""
    return url.replace("postgresql+psycopg://", "postgresql://").replace(
        "postgresql+asyncpg://", "postgresql://"
    )


def fingerprint(size: LedgerSize) -> str:
    """Of the migrations, the row generator and the size: what the loaded rows depend on."""
    digest = hashlib.sha256(repr(size).encode())
    for source in [*sorted(MIGRATIONS.glob("*.py")), Path(ledger_rows.__file__)]:
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _counts(url: str, size: LedgerSize) -> dict[str, tuple[int, int]] | None:
    """(count, max id) per loaded table, or None unless loaded with today's fingerprint."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            if not connection.dialect.has_table(connection, FINGERPRINT_TABLE):
                return None
            stored = connection.execute(text(f"SELECT value FROM {FINGERPRINT_TABLE}")).scalar()
            if stored != fingerprint(size):
                return None
            found = {}
            for table in LOAD_ORDER:
                key = "count(*)" if table == "stripe_customer" else "coalesce(max(id), 0)"
                row = connection.execute(text(f"SELECT count(*), {key} FROM {table}")).one()
                found[table] = (int(row[0]), int(row[1]))
            return found
    except Exception as error:  # a missing file or database means: load it
        logger.info("ledger not reusable: %s", error)
        return None
    finally:
        engine.dispose()


def is_loaded(url: str, size: LedgerSize) -> bool:
    found = _counts(url, size)
    if found is None:
        return False
    wanted = expected_counts(size)
    return all(found[table] == (count, count) for table, count in wanted.items())


def restore(url: str, size: LedgerSize) -> None:
    """Delete what traffic added: rows past the loaded ids, and all rows of other tables."""
    wanted = expected_counts(size)
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {FLOOR_TABLE}"))
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table.name == "stripe_customer":
                    statement = "DELETE FROM stripe_customer WHERE id NOT LIKE 'cus_bench%'"
                elif table.name in wanted:
                    statement = f"DELETE FROM {table.name} WHERE id > {wanted[table.name]}"
                else:
                    statement = f'DELETE FROM "{table.name}"'
                connection.execute(text(statement))
    finally:
        engine.dispose()


def create_floor_table(url: str) -> None:
    """The durable floor's one table (bench/bench_app.py): an id, the event id, the body."""
    key = "INTEGER PRIMARY KEY" if is_sqlite(url) else "BIGSERIAL PRIMARY KEY"
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} "
                    f"(id {key}, event_id TEXT NOT NULL, body TEXT NOT NULL)"
                )
            )
    finally:
        engine.dispose()


def create_postgres_database(url: str) -> None:
    """Create the bench database on its server unless it exists (a fresh server has only
    the databases it was set up with)."""
    target = make_url(libpq_url(url))
    server = target.set(database="postgres")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as db:
        found = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target.database,))
        if found.fetchone() is None:
            logger.info("creating database %s", target.database)
            db.execute(f'CREATE DATABASE "{target.database}"')


def ensure_loaded(url: str, size: LedgerSize) -> dict[str, float | bool]:
    """Load the ledger unless it is there already; says whether it loaded, and how long."""
    if is_sqlite(url):
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    else:
        create_postgres_database(url)
    if _counts(url, size) is not None:
        restore(url, size)
    if is_loaded(url, size):
        return {"loaded": False, "seconds": 0.0}
    started = time.perf_counter()
    ledger = build(size)
    if is_sqlite(url):
        _load_sqlite(url, size, ledger_tables=list(tables(ledger)))
    else:
        _load_postgres(url, size, ledger_tables=list(tables(ledger)))
    if not is_loaded(url, size):
        raise RuntimeError(f"ledger at {url} does not have the rows just loaded")
    return {"loaded": True, "seconds": round(time.perf_counter() - started, 1)}


def _sqlite_value(value: object) -> object:
    # The text formats SQLAlchemy's SQLite dialect writes and compares against.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _load_sqlite(url: str, size: LedgerSize, *, ledger_tables: list[tuple[str, list[Row]]]) -> None:
    path = sqlite_path(url)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrations.upgrade(url)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        for table, rows in ledger_tables:
            columns = COLUMNS[table]
            insert = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            connection.execute("BEGIN")
            connection.executemany(insert, ([_sqlite_value(v) for v in row] for row in rows))
            connection.execute("COMMIT")
        connection.execute(f"CREATE TABLE {FINGERPRINT_TABLE} (value TEXT NOT NULL)")
        connection.execute(f"INSERT INTO {FINGERPRINT_TABLE} VALUES (?)", (fingerprint(size),))
        connection.execute("ANALYZE")
    finally:
        connection.close()


def _reset_schema(url: str) -> None:
    """An empty PostgreSQL database: the bench ledger is loaded from nothing."""
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _load_postgres(
    url: str, size: LedgerSize, *, ledger_tables: list[tuple[str, list[Row]]]
) -> None:
    _reset_schema(url)
    migrations.upgrade(url)
    with psycopg.connect(libpq_url(url)) as connection:
        with connection.cursor() as cursor:
            for table, rows in ledger_tables:
                columns = COLUMNS[table]
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                if "id" in columns and table != "stripe_customer":
                    # COPY gave explicit ids; the serial must continue after them.
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
            cursor.execute(f"CREATE TABLE {FINGERPRINT_TABLE} (value TEXT NOT NULL)")
            cursor.execute(f"INSERT INTO {FINGERPRINT_TABLE} VALUES (%s)", (fingerprint(size),))
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
