"""The statements the write engine sends while a block runs, as sent.

SQLAlchemy's `before_cursor_execute` hears each one, and donations/prepared.py tells it of
the statements it sends to the driver itself. Writes run on the write engine (on SQLite,
one of its own: donations/db.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from donations.db import Database


@contextmanager
def statements_sent(db: Database, beginning: str = "") -> Iterator[list[str]]:
    """Every statement sent meanwhile that starts with `beginning`, in order."""
    sent: list[str] = []

    def before_cursor_execute(connection: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.startswith(beginning):
            sent.append(statement)

    engine = db.write_engine.sync_engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
