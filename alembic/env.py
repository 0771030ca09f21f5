"""Migrations run on a sync driver against DATABASE_URL (or the URL a caller passes in)."""

from __future__ import annotations

from logging.config import fileConfig

from sqlmodel import SQLModel

from alembic import context
from donations import models
from donations.db import create_sync_engine, is_sqlite
from donations.settings import get_settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

models.load_all()  # every table on SQLModel.metadata, to compare and migrate
target_metadata = SQLModel.metadata


def database_url() -> str:
    return str(config.attributes.get("database_url") or get_settings().DATABASE_URL)


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
    )
    with context.begin_transaction():
        context.run_migrations()


FOREIGN_KEYS_BROKEN = "the migration left rows whose foreign keys point nowhere: {rows}"


def run_migrations_online() -> None:
    url = database_url()
    sqlite = is_sqlite(url)
    # SQLite: batch mode copies a table and drops the original, which with foreign keys on
    # would delete the rows of every table that refers to it (ON DELETE CASCADE).
    engine = create_sync_engine(url, foreign_keys=not sqlite)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode copies the table instead.
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(FOREIGN_KEYS_BROKEN.format(rows=broken[:5]))
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
