"""What every command shares: one-line errors with exit code 2, the database, output."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from donations.db import OPEN_ERRORS, Database, cannot_open
from donations.settings import get_settings

T = TypeVar("T")

# Exit code for bad input, as click uses for usage errors.
BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    """Stop with one clear line on stderr and exit code 2; nothing has been written."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(BAD_INPUT)


async def _open(db: Database) -> None:
    try:
        async with db.engine.connect():
            pass
    except OPEN_ERRORS as error:
        fail(cannot_open(db.url, error))


async def _require_ledger(db: Database) -> None:
    async with db.engine.connect() as connection:
        exists = await connection.run_sync(lambda sync: sync.dialect.has_table(sync, "payment"))
    if not exists:
        fail("the database has no ledger yet: run `donations db upgrade` (or `donations serve`)")


async def _migrate_if_behind(db: Database) -> None:
    """As `serve` does: a first command on a new database creates the schema."""
    # Imported here: Alembic is heavy, and report commands never migrate.
    from donations import migrations

    if await migrations.current_revision(db.engine) != migrations.head_revision():
        await db.engine.dispose()
        migrations.upgrade(db.url)


def run_with_db(work: Callable[[Database], Awaitable[T]], *, reports: bool = False) -> T:
    """Run `work` on a fresh engine for this command, and dispose of it after."""
    settings = get_settings()
    url = (settings.REPORTS_DATABASE_URL if reports else None) or settings.DATABASE_URL

    async def main() -> T:
        db = Database(url, writes=not reports)
        try:
            await _open(db)
            if reports:
                await _require_ledger(db)
            else:
                await _migrate_if_behind(db)
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


def actor() -> str:
    """Who ran the command, for the audit log: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"
