"""Writes that tolerate any order and any race, on SQLite and PostgreSQL alike.

    insert_ignoring_conflicts(session, model, values) -> inserted?   INSERT ... ON CONFLICT
                                                                     DO NOTHING
    fill_missing(session, model, where, values)       set columns still NULL (COALESCE)
    newer_state(model, created, rank)                 WHERE the row's state is older

Two deliveries racing to create the same row (the same payment from checkout.session.completed
and payment_intent.succeeded, say) must not fail: the loser's insert does nothing and it reads
the winner's row. PostgreSQL and SQLite spell it the same way; SQLAlchemy needs the dialect's
own `insert` to say it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


def dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


async def insert_ignoring_conflicts(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any]
) -> bool:
    """Insert one row unless it conflicts with any unique key; True if it was inserted."""
    table = model.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect(session) == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount)


async def fill_missing(
    session: AsyncSession, model: type[SQLModel], where: Any, values: dict[str, Any]
) -> None:
    """Set each column in `values` on the row(s) matching `where` only where it is still NULL:
    the later of two events describing one thing adds what it knows, never overwrites."""
    known = {
        name: func.coalesce(getattr(model, name), value)
        for name, value in values.items()
        if value is not None
    }
    if known:
        await session.exec(update(model).where(where).values(known))


def newer_state(model: Any, created: int, rank: int) -> Any:
    """The row's last applied state is older than (created, rank): events apply newest-first,
    ties broken by a fixed precedence (terminal states rank highest)."""
    return or_(
        model.state_event_created < created,
        and_(model.state_event_created == created, model.state_event_rank < rank),
    )
