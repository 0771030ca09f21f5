from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from donations.cli import app
from donations.db import Database
from donations.models import AuditLog, StaffUser
from donations.staff import LOCKOUT, Outcome, StaffError, add_staff, log_in

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def donations(*args: str, database_url: str, stdin: str = "") -> Result:
    """The CLI in this process (a subprocess would spend seconds importing)."""
    return CliRunner().invoke(app, list(args), input=stdin, env={"DATABASE_URL": database_url})


async def audit_trail(db: Database) -> list[tuple[str, str, str | None]]:
    async with db.session() as session:
        rows = await session.exec(select(AuditLog).order_by(col(AuditLog.id)))
        return [(row.actor, row.action, row.detail) for row in rows]


@pytest.mark.asyncio
async def test_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    async with db.session() as session:
        user = await add_staff(session=session, name="ana", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.asyncio
async def test_right_password_logs_in_and_is_audited(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD)
        result = await log_in(
            session=session, name="ana", password=PASSWORD, client_ip="10.0.0.1", now=NOW
        )
        assert result.outcome is Outcome.ok
        user = (await session.exec(select(StaffUser))).one()
        assert user.last_login_at == NOW
    assert await audit_trail(db) == [("ana", "login", None)]


@pytest.mark.asyncio
async def test_five_wrong_passwords_lock_the_login_for_fifteen_minutes(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD)
        outcomes = [
            (await log_in(session=session, name="ana", password="wrong", client_ip=None, now=NOW))
            for _ in range(5)
        ]
        assert [o.outcome for o in outcomes] == [Outcome.wrong] * 4 + [Outcome.locked]
        assert outcomes[-1].locked_until == NOW + timedelta(minutes=15)
        # While locked, even the right password is refused.
        during = await log_in(
            session=session, name="ana", password=PASSWORD, client_ip=None, now=NOW + LOCKOUT / 2
        )
        assert during.outcome is Outcome.locked
        after = await log_in(
            session=session, name="ana", password=PASSWORD, client_ip=None, now=NOW + LOCKOUT
        )
        assert after.outcome is Outcome.ok
        user = (await session.exec(select(StaffUser))).one()
        await session.refresh(user)
        assert (user.failed_logins, user.locked_until) == (0, None)
    trail = await audit_trail(db)
    assert [action for _, action, _ in trail] == ["login_failed"] * 5 + [
        "login_locked",
        "login",
    ]
    assert trail[4] == ("ana", "login_failed", "now locked")


@pytest.mark.asyncio
async def test_unknown_name_is_answered_like_a_wrong_password(db: Database) -> None:
    async with db.session() as session:
        result = await log_in(session=session, name="eve", password="x", client_ip=None, now=NOW)
    assert result.outcome is Outcome.wrong
    assert await audit_trail(db) == [("eve", "login_failed", None)]


@pytest.mark.asyncio
async def test_a_name_can_only_be_added_once(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD)
        with pytest.raises(StaffError, match="a staff user named 'ana' already exists"):
            await add_staff(session=session, name="ana", password=PASSWORD + "!")


def test_staff_add_reads_the_password_from_stdin(database_url: str) -> None:
    added = donations(
        "staff", "add", "ana", "--password-stdin", database_url=database_url, stdin=PASSWORD + "\n"
    )
    assert (added.exit_code, added.stdout, added.stderr) == (0, "staff user ana added\n", "")
    again = donations(
        "staff", "add", "ana", "--password-stdin", database_url=database_url, stdin=PASSWORD + "\n"
    )
    assert (again.exit_code, again.stderr) == (
        2,
        "error: a staff user named 'ana' already exists\n",
    )


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("bob", "", "error: the password must not be empty\n"),
        ("bob", "short", "error: the password must be at least 12 characters\n"),
        ("bo:b", PASSWORD, "error: the staff name must not contain ':'"),
    ],
)
def test_staff_add_refuses_an_empty_or_short_password_or_a_bad_name(
    database_url: str, name: str, password: str, message: str
) -> None:
    result = donations(
        "staff", "add", name, "--password-stdin", database_url=database_url, stdin=password + "\n"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
