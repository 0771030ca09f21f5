"""Parts that hang, for timeout tests: a server that accepts and never answers, and a
database session that holds the lock every writer needs.

with silent_server() as port:          a TCP port on 127.0.0.1 that swallows what it is sent
with holding_the_write_lock(url):      another session holds the tables (PostgreSQL) or the
                                       write lock (SQLite) until the block ends
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from donations.db import is_sqlite

# Every table a request of the tests writes or reads first.
_TABLES = "stripe_event, checkout, campaign, payment, alembic_version"


@contextmanager
def silent_server() -> Iterator[int]:
    """A listening port whose connections are accepted, read, and never answered."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def swallow(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while connection.recv(65536):
                pass

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                accepted.append(connection)
                threading.Thread(target=swallow, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        for sock in [listener, *accepted]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@contextmanager
def holding_the_write_lock(database_url: str) -> Iterator[None]:
    if is_sqlite(database_url):
        path = make_url(database_url).database
        assert path is not None
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.rollback()
            connection.close()
        return
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(plain) as holder:
        holder.execute(f"LOCK TABLE {_TABLES} IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            holder.rollback()
