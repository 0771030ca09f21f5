"""Writes that tolerate any order and any race, on SQLite and PostgreSQL alike.

    execute(session, statement, params=) -> CursorResult   on the session's connection
    insert_ignoring_conflicts(session, model, values) -> inserted?   INSERT ... ON CONFLICT
                                                                     DO NOTHING
    insert_many_ignoring_conflicts(session, model, rows) -> ids   the same for many rows, in
                                                                  one statement
    insert_new(session, model, values) -> id | None   the same, RETURNING the new row's id
    insert_or_fill(session, model, key, values, fillable) -> id   insert, or fill what the row
                                                  with that key lacks; its id either way
    fill_missing(session, model, keys, values) -> filled?   set columns still NULL on the
                                                            row(s) matching any of `keys`
    newer_state(model, created, rank)                 WHERE the row's state is older
    on_newer_state(table, excluded, columns)          ON CONFLICT DO UPDATE: a state that
                                                      applies only if its event is newer
    filled(table, excluded, columns)                  ON CONFLICT DO UPDATE: what the row lacks
    insert_for(dialect_name)                          the dialect's own `insert`, which can
                                                      say ON CONFLICT
    column_param(column, name)                        a bind parameter typed as the column

Two deliveries racing to create the same row (the same payment from checkout.session.completed
and payment_intent.succeeded, say) must not fail: the loser's insert does nothing and it reads
the winner's row. PostgreSQL and SQLite spell it the same way; SQLAlchemy needs the dialect's
own `insert` to say it.

Statements are built once per shape and run with bound parameters: building and hashing a
statement costs more than running it, and a handler runs several per event. Modules keep their fixed statements at module level,
written with `bindparam`, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    CursorResult,
    Executable,
    and_,
    bindparam,
    case,
    func,
    or_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from donations import prepared

_statements: dict[tuple[Any, ...], Any] = {}
_CONNECTION = "donations.sql.connection"


# What `execute` gives back: SQLAlchemy's result, or the same rows from the driver.
Result = CursorResult[*tuple[Any, ...]] | prepared.Rows


async def execute(
    session: AsyncSession,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Result:
    """Run a Core statement on the session's connection, inside its transaction. Handlers
    never load ORM objects, so the ORM's bookkeeping for each statement (an identity map to
    keep in step with every UPDATE, ORM result processing) is pure cost. In the webhook
    intake's transactions, a plain statement skips SQLAlchemy's execution too
    (donations/prepared.py)."""
    on_driver = await prepared.execute(session, statement, params)
    if on_driver is not None:
        return on_driver
    # The transaction's connection, asked of the session once per transaction: each ask is
    # a trip through SQLAlchemy's greenlet bridge.
    transaction = session.sync_session.get_transaction()
    known = session.info.get(_CONNECTION)
    if transaction is not None and known is not None and known[0] is transaction:
        connection: AsyncConnection = known[1]
    else:
        connection = await session.connection()
        session.info[_CONNECTION] = (session.sync_session.get_transaction(), connection)
    return await connection.execute(statement, params)


def dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


async def insert_ignoring_conflicts(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any]
) -> bool:
    """Insert one row unless it conflicts with any unique key; True if it was inserted."""
    statement = _insert(dialect(session), model, tuple(values), returning=None)
    result = await execute(session, statement, values)
    return bool(result.rowcount)


async def insert_many_ignoring_conflicts(
    session: AsyncSession,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    *,
    returning: str = "id",
) -> set[Any]:
    """Insert rows (each with the same columns, the primary key `returning` among them) in one
    statement, skipping any that conflict with a unique key: the keys of those inserted."""
    statement = _insert(dialect(session), model, tuple(rows[0]), returning=returning)
    result = await execute(session, statement, rows)
    return set(result.scalars())


async def insert_new(
    session: AsyncSession, model: type[SQLModel], values: dict[str, Any]
) -> int | None:
    """Insert one row unless it conflicts with any unique key: its id, or None (one round
    trip where inserting then reading the id would take two)."""
    statement = _insert(dialect(session), model, tuple(values), returning="id")
    new_id: int | None = (await execute(session, statement, values)).scalar()
    return new_id


async def insert_or_fill(
    session: AsyncSession,
    model: type[SQLModel],
    key: str,
    values: dict[str, Any],
    fillable: tuple[str, ...],
) -> int:
    """Insert one row, or, when a row with its `key` is there, set the `fillable` columns it
    still lacks (NULL) from `values`: the row's id either way, in one statement
    (INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING id) where insert_new, fill_missing
    and a read of the id take three."""
    statement = _upsert(dialect(session), model, tuple(values), key, fillable)
    row_id: int = (await execute(session, statement, values)).scalar_one()
    return row_id


async def fill_missing(
    session: AsyncSession,
    model: type[SQLModel],
    keys: dict[str, Any],
    values: dict[str, Any],
) -> bool:
    """Set each column in `values` on the row(s) whose column in `keys` has that value (any of
    them) only where it is still NULL: the later of two events describing one thing adds what
    it knows, never overwrites. True if a row lacked one of them (so may have changed)."""
    known = {name: value for name, value in values.items() if value is not None}
    if not known:
        return False
    statement = _fill(model, tuple(keys), tuple(known))
    params = {f"key_{name}": value for name, value in keys.items()}
    params.update({f"value_{name}": value for name, value in known.items()})
    result = await execute(session, statement, params)
    return bool(result.rowcount)


def newer_state(model: Any, created: Any, rank: Any) -> Any:
    """The row's last applied state is older than (created, rank): events apply newest-first,
    ties broken by a fixed precedence (terminal states rank highest)."""
    return or_(
        model.state_event_created < created,
        and_(model.state_event_created == created, model.state_event_rank < rank),
    )


def on_newer_state(table: Any, excluded: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    """For INSERT ... ON CONFLICT DO UPDATE SET: each state column (`columns`, then
    state_event_created and state_event_rank) takes the new row's value where its event is
    newer than the state the row has (newer_state), and keeps its own otherwise. Every
    right-hand side of a SET reads the row as it was (PostgreSQL and SQLite alike), so this
    is the state UPDATE a separate statement would make, in the insert's round trip."""
    newer = newer_state(table.c, excluded.state_event_created, excluded.state_event_rank)
    names = (*columns, "state_event_created", "state_event_rank")
    return {name: case((newer, excluded[name]), else_=table.c[name]) for name in names}


def filled(table: Any, excluded: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    """For INSERT ... ON CONFLICT DO UPDATE SET: the `columns` the row lacks (NULL) taken from
    the new row, as fill_missing would set them."""
    return {name: func.coalesce(table.c[name], excluded[name]) for name in columns}


def insert_for(dialect_name: str) -> Any:
    """The dialect's own `insert` (postgresql or sqlite): SQLAlchemy's generic one has no
    ON CONFLICT."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def column_param(column: Any, name: str | None = None) -> BindParameter[Any]:
    """A parameter typed as `column`, so that its value is converted as an INSERT of the
    column would convert it (a datetime, JSON). Needed where nothing else gives it a type:
    in a SELECT list (INSERT ... SELECT), a CASE, a coalesce."""
    return bindparam(name or column.key, type_=column.type)


def _insert(
    dialect_name: str, model: type[SQLModel], columns: tuple[str, ...], *, returning: str | None
) -> Any:
    def build() -> Any:
        table = model.__table__  # type: ignore[attr-defined]
        statement = insert_for(dialect_name)(table).values(
            {name: bindparam(name) for name in columns}
        )
        statement = statement.on_conflict_do_nothing()
        return statement if returning is None else statement.returning(table.c[returning])

    return _cached(("insert", dialect_name, model, columns, returning), build)


def _upsert(
    dialect_name: str,
    model: type[SQLModel],
    columns: tuple[str, ...],
    key: str,
    fillable: tuple[str, ...],
) -> Any:
    def build() -> Any:
        table = model.__table__  # type: ignore[attr-defined]
        statement = insert_for(dialect_name)(table).values(
            {name: bindparam(name) for name in columns}
        )
        # Every conflict updates (coalesce keeps what the row has): a DO UPDATE ... WHERE
        # that skipped the row would not return its id either.
        fill = filled(table, statement.excluded, fillable)
        statement = statement.on_conflict_do_update(index_elements=[key], set_=fill)
        return statement.returning(table.c.id)

    return _cached(("upsert", dialect_name, model, columns, key, fillable), build)


def _fill(model: type[SQLModel], keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    def build() -> Any:
        matching = or_(*(getattr(model, name) == bindparam(f"key_{name}") for name in keys))
        lacking = or_(*(getattr(model, name).is_(None) for name in columns))
        filled = {
            name: func.coalesce(getattr(model, name), bindparam(f"value_{name}"))
            for name in columns
        }
        return update(model).where(matching, lacking).values(filled)

    return _cached(("fill", model, keys, columns), build)


def _cached(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    statement = _statements.get(key)
    if statement is None:
        statement = _statements[key] = build()
    return statement
