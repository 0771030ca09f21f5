"""`donations staff list | add | passwd | remove | unlock`: finance logins for /admin.

Every change is an audit row whose actor is `cli:` and the operating-system user who ran it.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.models import utcnow
from donations.reports.windows import iso_utc
from donations.staff import (
    StaffError,
    StaffListing,
    add_staff,
    change_password,
    check_password,
    check_staff_name,
    credential,
    list_staff,
    remove_staff,
    unlock_staff,
)

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True)

_UNKNOWN = "no staff user named {name!r}"
_NAME = typer.Argument(..., help="Login name, e.g. ana")
_PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin"
)


def _operator() -> str:
    """Who runs the command, for the audit trail."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name, and no passwd entry for the uid
        return "cli"


def _read_password(from_stdin: bool) -> str:
    """The password, checked: before the database is opened (or migrated) for it."""
    if from_stdin:
        # One line, as `docker login --password-stdin` reads it: the trailing newline is not
        # part of the password.
        return _checked_password(sys.stdin.readline().rstrip("\r\n"))
    # Checked as soon as it is typed, so a password that will be refused is not typed twice;
    # its StaffError passes through click's prompt (which catches only UsageError) to the
    # command. `default=""` lets an empty password reach the check: click alone would ask
    # again without saying why.
    password: str = typer.prompt(
        "Password",
        hide_input=True,
        confirmation_prompt=True,
        default="",
        show_default=False,
        value_proc=_checked_password,
    )
    return password


def _checked_password(password: str) -> str:
    check_password(password)
    return password


def _changing(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run a change; a StaffError from it (a taken or unknown name) is one line, exit 2."""
    try:
        return run_with_db(work)
    except StaffError as error:
        fail(str(error))


@app.command("list")
def list_() -> None:
    """List staff users: added, last login, addresses with failed logins in the last day."""

    async def work(db: Database) -> list[StaffListing]:
        async with db.session() as session:
            return await list_staff(session=session, now=utcnow())

    table = Table("name", "added", "last login", "failing addresses")
    for row in run_with_db(work):
        table.add_row(
            row.name,
            _when(row.created_at),
            _when(row.last_login_at),
            str(row.failing_addresses),
        )
    Console().print(table)


def _when(at: datetime | None) -> str:
    return iso_utc(at) if at is not None else "never"


@app.command("add")
def add(name: str = _NAME, password_stdin: bool = _PASSWORD_STDIN) -> None:
    """Add a staff user; the password is asked for twice (hidden) or read from stdin."""
    try:
        # The name first: nobody should type a password for a login that cannot be made.
        check_staff_name(name)
        password = _read_password(password_stdin)
    except StaffError as error:
        fail(str(error))

    async def work(db: Database) -> None:
        async with db.session() as session:
            await add_staff(session=session, name=name, password=password, actor=_operator())

    _changing(work)
    typer.echo(f"staff user {name} added")


@app.command("passwd")
def passwd(name: str = _NAME, password_stdin: bool = _PASSWORD_STDIN) -> None:
    """Set a staff user's password (asked twice, or from stdin); forgets their failures."""

    async def exists(db: Database) -> bool:
        async with db.session() as session:
            return await credential(session=session, name=name) is not None

    # As for `add`: nobody should type a password for a login that is not there.
    if not run_with_db(exists):
        fail(_UNKNOWN.format(name=name))
    try:
        password = _read_password(password_stdin)
    except StaffError as error:
        fail(str(error))

    async def work(db: Database) -> None:
        async with db.session() as session:
            await change_password(
                session=session, name=name, password=password, actor=_operator(), now=utcnow()
            )

    _changing(work)
    typer.echo(f"password of staff user {name} changed")


@app.command("remove")
def remove(name: str = _NAME) -> None:
    """Remove a staff user; a login remembered by a running server ends with it."""

    async def work(db: Database) -> None:
        async with db.session() as session:
            await remove_staff(session=session, name=name, actor=_operator(), now=utcnow())

    _changing(work)
    typer.echo(f"staff user {name} removed")


@app.command("unlock")
def unlock(name: str = _NAME) -> None:
    """Forget a staff user's failed logins from every address: nobody waits to try."""

    async def work(db: Database) -> int:
        async with db.session() as session:
            return await unlock_staff(session=session, name=name, actor=_operator(), now=utcnow())

    cleared = _changing(work)
    typer.echo(f"staff user {name}: failed logins forgotten from {cleared} address(es)")
