"""The least a Python report command on our stack can do, as a baseline for `donations report`.

    python -m bench.sql_command --database-url URL [--with-stack] < statements.sql

Starts Python, imports SQLAlchemy's asyncio engine and the driver the app uses, runs the
hand-written statements and prints their rows: no settings, no models, no CLI framework, no
formatting. `donations report ...` over this is what our own code adds; this over `sqlite3`
or `psql` is what Python and SQLAlchemy cost before any of ours runs.

`--with-stack` also imports the libraries every `donations` command is built on and cannot
start without (SQLModel and pydantic for the tables, pydantic-settings for the settings,
Typer for the command line), as a reference: what is left of ours over it is our own code.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

# The app's async drivers (donations/db.py), named here so as not to import the app.
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
# The required stack a command imports before any of our code (see the module's docstring).
STACK = ("sqlmodel", "pydantic_settings", "typer")


async def run(url: str, statements: list[str]) -> None:
    parsed = make_url(url)
    engine = create_async_engine(parsed.set(drivername=DRIVERS[parsed.get_backend_name()]))
    try:
        async with engine.connect() as connection:
            for statement in statements:
                for row in await connection.exec_driver_sql(statement):
                    print("|".join(str(value) for value in row))
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sql_command")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--with-stack", action="store_true")
    args = parser.parse_args()
    if args.with_stack:
        for name in STACK:
            importlib.import_module(name)
    statements = [part.strip() for part in sys.stdin.read().split(";\n") if part.strip()]
    asyncio.run(run(args.database_url, statements))


if __name__ == "__main__":
    main()
