"""`donations staff add NAME`: a finance login for /admin."""

from __future__ import annotations

import sys

import typer

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.staff import StaffError, add_staff, check_password, check_staff_name

app = typer.Typer(no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    """The password, checked: before the database is opened (or migrated) for it."""
    if from_stdin:
        # One line, as `docker login --password-stdin` reads it: the trailing newline is not
        # part of the password.
        return _checked_password(sys.stdin.readline().rstrip("\r\n"))
    # Checked as soon as it is typed, so a password that will be refused is not typed twice;
    # its StaffError passes through click's prompt (which catches only UsageError) to `add`.
    # `default=""` lets an empty password reach the check: click alone would ask again
    # without saying why.
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


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name, e.g. ana"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin"
    ),
) -> None:
    """Add a staff user; the password is asked for twice (hidden) or read from stdin."""
    try:
        # The name first: nobody should type a password for a login that cannot be made.
        check_staff_name(name)
        password = _read_password(password_stdin)
    except StaffError as error:
        fail(str(error))

    async def work(db: Database) -> None:
        async with db.session() as session:
            await add_staff(session=session, name=name, password=password)

    try:
        run_with_db(work)
    except StaffError as error:
        fail(str(error))
    typer.echo(f"staff user {name} added")
