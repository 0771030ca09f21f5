"""donations/prepared.py: a statement run on the driver's connection gives what SQLAlchemy
gives, on SQLite and PostgreSQL: rows, datetimes, IN lists of any length, Python column
defaults, row counts and the errors the inbox retries on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import prepared
from donations.db import Database
from donations.models import Supporter
from donations.sql import execute

pytestmark = pytest.mark.asyncio

AT = datetime(2026, 3, 1, 12, 30, 15, 250000, tzinfo=UTC)

_ADD = (
    insert(Supporter)
    .values(email=bindparam("email"), name=bindparam("name"))
    .returning(col(Supporter.id), col(Supporter.created_at))
)
_BY_EMAILS = (
    select(Supporter.email, Supporter.erased_at)
    .where(col(Supporter.email).in_(bindparam("emails", expanding=True)))
    .order_by(col(Supporter.email))
)
_ERASE = (
    update(Supporter)
    .where(col(Supporter.email).in_(bindparam("emails", expanding=True)))
    .values(erased_at=bindparam("at"))
)


async def _twice(session: AsyncSession, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of the statement run twice: through SQLAlchemy (first time seen), then on
    the driver."""
    first = (await execute(session, statement, params)).all()
    second = (await execute(session, statement, params)).all()
    return [tuple(row) for row in first + second]


async def test_the_driver_gives_what_sqlalchemy_gives(db: Database) -> None:
    sent: list[Any] = []

    def listen(_connection: Any, cursor: Any, *_: Any) -> None:
        sent.append(cursor)

    event.listen(db.write_engine.sync_engine, "before_cursor_execute", listen)
    async with db.writing_session() as session:
        await execute(session, select(Supporter.id))  # begins PostgreSQL's transaction
        prepared.on_driver(session)
        sent.clear()
        for email in ("a@example.org", "b@example.org", "c@example.org"):
            added = (await execute(session, _ADD, {"email": email, "name": None})).one()
            # created_at comes from the model's Python default, as through SQLAlchemy.
            assert isinstance(added.created_at, datetime)
        erased = await execute(session, _ERASE, {"emails": ["a@example.org"], "at": AT})
        assert erased.rowcount == 1
        erased = await execute(session, _ERASE, {"emails": ["b@example.org", "x"], "at": AT})
        assert erased.rowcount == 1
        rows = await _twice(session, _BY_EMAILS, {"emails": ["a@example.org", "c@example.org"]})
        assert rows == [("a@example.org", AT), ("c@example.org", None)] * 2
        one = await _twice(session, _BY_EMAILS, {"emails": ["b@example.org"]})
        assert one == [("b@example.org", AT)] * 2
    event.remove(db.write_engine.sync_engine, "before_cursor_execute", listen)
    # SQLAlchemy ran each statement the first time (a cursor); the driver the others (none),
    # with an IN list of a new length too.
    assert [cursor is None for cursor in sent] == [
        False, True, True, False, True, False, True, True, True,
    ]  # fmt: skip


async def test_a_unique_violation_is_sqlalchemys_integrity_error(db: Database) -> None:
    with pytest.raises(IntegrityError) as raised:
        async with db.writing_session() as session:
            await execute(session, select(Supporter.id))
            prepared.on_driver(session)
            for _ in range(3):
                await execute(session, _ADD, {"email": "same@example.org", "name": None})
    original = raised.value.orig
    code = getattr(original, "sqlstate", None) or getattr(original, "sqlite_errorname", None)
    assert code in ("23505", "SQLITE_CONSTRAINT_UNIQUE")
