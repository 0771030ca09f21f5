"""`donations db ...`: the schema."""

from __future__ import annotations

import typer

from donations import migrations
from donations.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Migrate the database at DATABASE_URL to the latest schema (alembic upgrade head)."""
    migrations.upgrade(get_settings().DATABASE_URL, revision)
    typer.echo(f"database at {migrations.head_revision() if revision == 'head' else revision}")
