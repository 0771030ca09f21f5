"""`donations supporters erase EMAIL`: the GDPR right to erasure, amounts kept."""

from __future__ import annotations

import getpass

import typer

from donations.cli.common import fail, run_with_db
from donations.db import Database
from donations.supporters import erase as erase_supporter
from donations.supporters import masked

app = typer.Typer(no_args_is_help=True)

UNKNOWN = "no supporter with email {email}"


@app.command("erase")
def erase(email: str = typer.Argument(..., help="The supporter's email address")) -> None:
    """Remove a supporter's email and name (ledger and stored events); keep every amount."""

    async def work(db: Database) -> int | None:
        async with db.session() as session, session.begin():
            return await erase_supporter(session, email, actor=_actor())

    supporter_id = run_with_db(work)
    if supporter_id is None:
        fail(UNKNOWN.format(email=masked(email)))
    typer.echo(f"supporter {supporter_id} erased: email and name removed, amounts kept")


def _actor() -> str:
    # Who ran the command, for the audit log: the operating-system user.
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"
