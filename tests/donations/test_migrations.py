from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from donations import migrations
from donations.db import create_sync_engine, is_sqlite
from tests.support import databases

LEDGER_TABLES = {
    "account_change",
    "account_session",
    "alembic_version",
    "audit_log",
    "balance_transaction",
    "campaign",
    "campaign_offer",
    "charge_card",
    "charge_refund_total",
    "checkout",
    "coupon",
    "discount",
    "dispute",
    "login_throttle",
    "membership",
    "outbox",
    "payment",
    "payment_key",
    "payout",
    "refund",
    "report_snapshot",
    "sign_in_link",
    "staff_user",
    "stripe_customer",
    "stripe_event",
    "stripe_link",
    "supporter",
}


def test_migrations_give_exactly_the_models_schema(tmp_path: Path) -> None:
    url = databases.scratch_url(tmp_path)
    migrations.upgrade(url)
    engine = create_sync_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": is_sqlite(url)}
        )
        differences = compare_metadata(context, SQLModel.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert differences == []
    assert tables == LEDGER_TABLES


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = databases.scratch_url(tmp_path)
    migrations.upgrade(url)
    migrations.downgrade(url, "base")
    engine = create_sync_engine(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}
    # On PostgreSQL this also leaves the session's template as it expects: migrated, empty.
    migrations.upgrade(url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == LEDGER_TABLES
    engine.dispose()
