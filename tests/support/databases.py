"""A clean, migrated database per test, on SQLite (default) or PostgreSQL.

Set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run the suite on
PostgreSQL. The schema is migrated once per run with Alembic (the real migrations, not
create_all); each test then starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

from donations import migrations, models
from donations.db import create_sync_engine, is_sqlite

models.load_all()  # every table on SQLModel.metadata: each test starts from them all empty
POSTGRES_URL_ENV = "TEST_DATABASE_URL"


def configured_url() -> str | None:
    return os.environ.get(POSTGRES_URL_ENV) or None


def on_postgres() -> bool:
    url = configured_url()
    return url is not None and not is_sqlite(url)


def migrate_template(tmp_dir: Path) -> str:
    """Migrate once per run: a template file on SQLite, the database itself on PostgreSQL."""
    url = configured_url()
    if url is None:
        template = tmp_dir / "template.db"
        url = f"sqlite:///{template}"
    else:
        reset_schema(url)
    migrations.upgrade(url)
    return url


def scratch_url(tmp_path: Path) -> str:
    """An empty database for a migration test: a new SQLite file, or the PostgreSQL one
    emptied (its schema dropped)."""
    url = configured_url()
    if url is None:
        return f"sqlite:///{tmp_path / 'scratch.db'}"
    reset_schema(url)
    return url


def reset_schema(url: str) -> None:
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_database(template_url: str, tmp_path: Path) -> str:
    """An empty migrated database for one test."""
    if is_sqlite(template_url):
        source = Path(template_url.removeprefix("sqlite:///"))
        target = tmp_path / "test.db"
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    engine = create_sync_engine(template_url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return template_url
