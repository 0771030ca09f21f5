from __future__ import annotations

import asyncio
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


async def prompted(name: str, *, database_url: str, typed: list[str]) -> Result:
    """`donations staff add NAME` answering its prompts with the lines `typed`, in a thread
    of its own since the command runs its own event loop."""
    stdin = "".join(line + "\n" for line in typed)
    return await asyncio.to_thread(
        donations, "staff", "add", name, database_url=database_url, stdin=stdin
    )


async def staff_names(db: Database) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(StaffUser.name))).all())


async def log_in_as(db: Database, name: str, password: str) -> Outcome:
    async with db.session() as session:
        result = await log_in(
            session=session, name=name, password=password, client_ip=None, now=NOW
        )
    return result.outcome


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


@pytest.mark.asyncio
async def test_staff_add_asks_for_the_password_twice_and_that_password_logs_in(
    db: Database, database_url: str
) -> None:
    added = await prompted("ana", database_url=database_url, typed=[PASSWORD, PASSWORD])
    assert (added.exit_code, added.stdout, added.stderr) == (
        0,
        "Password: \nRepeat for confirmation: \nstaff user ana added\n",
        "",
    )
    assert await log_in_as(db, "ana", PASSWORD) is Outcome.ok
    assert await log_in_as(db, "ana", PASSWORD + "!") is Outcome.wrong


@pytest.mark.asyncio
async def test_staff_add_refuses_a_confirmation_that_does_not_match_and_adds_nothing(
    db: Database, database_url: str
) -> None:
    result = await prompted("ana", database_url=database_url, typed=[PASSWORD, PASSWORD + "!"])
    # Asked again from the start; with nothing more typed, the command gives up.
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "Password: \nRepeat for confirmation: \n"
        "Error: The two entered values do not match.\nPassword: \n\n",
        "Aborted.\n",
    )
    assert await staff_names(db) == []


@pytest.mark.asyncio
async def test_staff_add_after_a_mismatch_asks_again_and_keeps_the_password_confirmed(
    db: Database, database_url: str
) -> None:
    other = "another horse battery"
    typed = [PASSWORD, PASSWORD + "!", other, other]
    added = await prompted("ana", database_url=database_url, typed=typed)
    assert (added.exit_code, added.stderr) == (0, "")
    assert added.stdout.endswith("Repeat for confirmation: \nstaff user ana added\n")
    assert await log_in_as(db, "ana", other) is Outcome.ok
    assert await log_in_as(db, "ana", PASSWORD) is Outcome.wrong


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "error: the password must not be empty\n"),
        ("short", "error: the password must be at least 12 characters\n"),
    ],
    ids=["empty", "short"],
)
async def test_staff_add_refuses_an_empty_or_short_password_as_soon_as_it_is_typed(
    db: Database, database_url: str, typed: str, message: str
) -> None:
    result = await prompted("ana", database_url=database_url, typed=[typed, typed])
    # Refused before the confirmation is asked for, as --password-stdin refuses it.
    assert (result.exit_code, result.stdout, result.stderr) == (2, "Password: \n", message)
    assert await staff_names(db) == []


@pytest.mark.asyncio
async def test_staff_add_refuses_a_bad_name_before_asking_for_a_password(
    db: Database, database_url: str
) -> None:
    result = await prompted("bo:b", database_url=database_url, typed=[PASSWORD, PASSWORD])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: the staff name must not contain ':' "
        "(HTTP Basic separates name and password with it)\n"
    )
    assert await staff_names(db) == []
