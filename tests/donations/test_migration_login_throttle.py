"""Migration 20261202_0004: the lock columns go, the throttle table comes, staff users stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from donations import migrations
from donations.db import create_sync_engine
from tests.support import databases

BEFORE = "0001"
REVISION = "20261202_0004"
ADDED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
LAST_LOGIN = datetime(2026, 11, 30, 17, 45, tzinfo=UTC)


def test_staff_users_are_carried_through_the_throttle_migration_both_ways(
    tmp_path: Path,
) -> None:
    url = databases.scratch_url(tmp_path)
    migrations.upgrade(url, BEFORE)
    engine = create_sync_engine(url)
    staff = "SELECT name, password_hash, last_login_at, created_at FROM staff_user"
    with engine.begin() as connection:
        # A login locked under the old rule when the new code arrives.
        connection.execute(
            text(
                "INSERT INTO staff_user (name, password_hash, failed_logins, locked_until, "
                "last_login_at, created_at) VALUES ('ana', '$argon2id$v=19$stored', 4, "
                ":locked, :last, :added)"
            ),
            {
                "locked": datetime(2026, 12, 2, 9, 15, tzinfo=UTC),
                "last": LAST_LOGIN,
                "added": ADDED,
            },
        )
        before = connection.execute(text(staff)).all()
    migrations.upgrade(url, REVISION)
    with engine.connect() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("staff_user")}
        assert columns == {"id", "name", "password_hash", "last_login_at", "created_at"}
        assert connection.execute(text(staff)).all() == before
        assert connection.execute(text("SELECT count(*) FROM login_throttle")).scalar() == 0
    migrations.downgrade(url, BEFORE)
    with engine.connect() as connection:
        assert "login_throttle" not in inspect(connection).get_table_names()
        assert connection.execute(text(staff)).all() == before
        old = "SELECT failed_logins, locked_until FROM staff_user"
        assert connection.execute(text(old)).all() == [(0, None)]
    # Leave the database as the session's template expects it: migrated, empty.
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM staff_user"))
    migrations.upgrade(url)
    engine.dispose()
