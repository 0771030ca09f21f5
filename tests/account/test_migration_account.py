"""Migration 20261202_0013: the account's three tables come and go; the supporters and
memberships they point at stay as they were."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from donations import migrations
from donations.db import create_sync_engine
from tests.support import databases

REVISION = "20261202_0013"
TABLES = {"sign_in_link", "account_session", "account_change"}
SUPPORTERS = "SELECT id, email FROM supporter ORDER BY id"


def test_the_account_tables_come_and_go_and_supporters_stay(tmp_path: Path) -> None:
    url = databases.scratch_url(tmp_path)
    previous = _previous(REVISION)
    migrations.upgrade(url, previous)
    engine = create_sync_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO supporter (id, email, created_at) "
                "VALUES (1, 'ana@example.org', '2026-11-01 08:00:00.000000')"
            )
        )
        kept = connection.execute(text(SUPPORTERS)).all()
    migrations.upgrade(url, REVISION)
    with engine.begin() as connection:
        assert set(inspect(connection).get_table_names()) >= TABLES
        assert connection.execute(text(SUPPORTERS)).all() == kept
        connection.execute(
            text(
                "INSERT INTO sign_in_link (token_hash, supporter_id, created_at, expires_at) "
                "VALUES (:hash, 1, '2026-12-02 06:00:00.000000', '2026-12-02 06:30:00.000000')"
            ),
            {"hash": "0" * 64},
        )
    migrations.downgrade(url, previous)
    with engine.connect() as connection:
        assert not TABLES & set(inspect(connection).get_table_names())
        assert connection.execute(text(SUPPORTERS)).all() == kept
    # Leave the database as the session's template expects it: migrated, empty.
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM supporter"))
    migrations.upgrade(url)
    engine.dispose()


def _previous(revision: str) -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    down = script.get_revision(revision).down_revision
    assert isinstance(down, str)
    return down
