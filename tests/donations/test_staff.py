from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from donations.cli import app
from donations.db import Database
from donations.models import AuditLog, StaffUser
from donations.reports.windows import iso_utc
from donations.staff import LoginOutcome, LoginResult, StaffError, add_staff, log_in

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def donations(*args: str, database_url: str, stdin: str = "") -> Result:
    """The CLI in this process (a subprocess would spend seconds importing), run by the
    operating-system user "ops" (getpass reads LOGNAME first)."""
    environment = {"DATABASE_URL": database_url, "LOGNAME": "ops"}
    return CliRunner().invoke(app, list(args), input=stdin, env=environment)


async def staff(*args: str, database_url: str, stdin: str = "") -> Result:
    """`donations staff ...` from a test that runs an event loop: in a thread of its own,
    since the command runs its own loop."""
    return await asyncio.to_thread(
        donations, "staff", *args, database_url=database_url, stdin=stdin
    )


async def prompted(
    name: str, *, database_url: str, typed: list[str], command: str = "add"
) -> Result:
    """`donations staff add NAME` (or `passwd`) answering its prompts with the lines `typed`."""
    stdin = "".join(line + "\n" for line in typed)
    return await staff(command, name, database_url=database_url, stdin=stdin)


async def staff_names(db: Database) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(StaffUser.name))).all())


async def log_in_as(db: Database, name: str, password: str) -> LoginOutcome:
    result = await log_in(db=db, name=name, password=password, client_ip=None, clock=lambda: NOW)
    return result.outcome


async def audit_trail(db: Database) -> list[tuple[str, str, str | None]]:
    async with db.session() as session:
        rows = await session.exec(select(AuditLog).order_by(col(AuditLog.id)))
        return [(row.actor, row.action, row.detail) for row in rows]


@pytest.mark.asyncio
async def test_password_is_stored_as_an_argon2id_hash(db: Database) -> None:
    async with db.session() as session:
        user = await add_staff(session=session, name="ana", password=PASSWORD, actor="test")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.asyncio
async def test_right_password_logs_in_and_is_audited(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD, actor="test")
    result = await log_in(
        db=db, name="ana", password=PASSWORD, client_ip="10.0.0.1", clock=lambda: NOW
    )
    assert result.outcome is LoginOutcome.ok
    async with db.session() as session:
        user = (await session.exec(select(StaffUser))).one()
        assert user.last_login_at == NOW
        assert result.credential == user.password_hash
    assert await audit_trail(db) == [("test", "staff_added", "ana"), ("ana", "login", None)]


@pytest.mark.asyncio
async def test_unknown_name_is_answered_like_a_wrong_password(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD, actor="test")
    unknown = await log_in(db=db, name="eve", password="x", client_ip=None, clock=lambda: NOW)
    wrong = await log_in(db=db, name="ana", password="x", client_ip="10.0.0.2", clock=lambda: NOW)
    assert unknown == wrong == LoginResult(LoginOutcome.wrong)
    assert (await audit_trail(db))[1:] == [
        ("eve", "login_failed", None),
        ("ana", "login_failed", None),
    ]


@pytest.mark.asyncio
async def test_a_name_can_only_be_added_once(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD, actor="test")
        with pytest.raises(StaffError, match="a staff user named 'ana' already exists"):
            await add_staff(session=session, name="ana", password=PASSWORD + "!", actor="test")
    # The refused one left no audit row either.
    assert await audit_trail(db) == [("test", "staff_added", "ana")]


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
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.ok
    assert await log_in_as(db, "ana", PASSWORD + "!") is LoginOutcome.wrong


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
    assert await log_in_as(db, "ana", other) is LoginOutcome.ok
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.wrong


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


COMMON = ["qwerty123456", "JustinBieber", "1qaz2wsx3edc"]


@pytest.mark.parametrize("password", COMMON)
def test_staff_add_refuses_a_commonly_used_password(database_url: str, password: str) -> None:
    result = donations(
        "staff", "add", "ana", "--password-stdin", database_url=database_url, stdin=password + "\n"
    )
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: the password is one of the most commonly used passwords; choose another\n",
    )


@pytest.mark.asyncio
async def test_staff_add_refuses_a_commonly_used_password_as_soon_as_it_is_typed(
    db: Database, database_url: str
) -> None:
    result = await prompted("ana", database_url=database_url, typed=["password1234"] * 2)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "Password: \n",
        "error: the password is one of the most commonly used passwords; choose another\n",
    )
    assert await staff_names(db) == []


async def add_ana(database_url: str) -> None:
    added = await staff("add", "ana", "--password-stdin", database_url=database_url, stdin=PASSWORD)
    assert added.exit_code == 0, added.stderr


@pytest.mark.asyncio
async def test_staff_list_shows_each_login_its_last_login_and_failing_addresses(
    db: Database, database_url: str
) -> None:
    empty = await staff("list", database_url=database_url)
    assert empty.exit_code == 0
    assert "ana" not in empty.stdout
    await add_ana(database_url)
    other = await staff("add", "bo", "--password-stdin", database_url=database_url, stdin=PASSWORD)
    assert other.exit_code == 0
    async with db.session() as session:
        added = {user.name: user.created_at for user in await session.exec(select(StaffUser))}
    now = datetime.now(UTC)
    bo = await log_in(db=db, name="bo", password=PASSWORD, client_ip=None, clock=lambda: now)
    assert bo.outcome is LoginOutcome.ok
    for ip in ("203.0.113.1", "203.0.113.2"):
        await log_in(db=db, name="ana", password="wrong", client_ip=ip, clock=lambda: now)
    listed = await staff("list", database_url=database_url)
    assert listed.exit_code == 0
    rows = [
        [cell.strip() for cell in re.split("[│┃]", line)[1:-1]]
        for line in listed.stdout.splitlines()
        if line.startswith(("│", "┃"))
    ]
    assert rows == [
        ["name", "added", "last login", "failing addresses"],
        ["ana", iso_utc(added["ana"]), "never", "2"],
        ["bo", iso_utc(added["bo"]), iso_utc(now), "0"],
    ]


@pytest.mark.asyncio
async def test_staff_passwd_sets_a_new_password_forgives_failures_and_is_audited(
    db: Database, database_url: str
) -> None:
    await add_ana(database_url)
    for _ in range(3):
        await log_in_as(db, "ana", "wrong")
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.throttled
    new = "a brand new horse"
    changed = await staff("passwd", "ana", "--password-stdin", database_url=database_url, stdin=new)
    assert (changed.exit_code, changed.stdout, changed.stderr) == (
        0,
        "password of staff user ana changed\n",
        "",
    )
    # Her failures were against the old password: she need not wait to use the new one.
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.wrong
    assert await log_in_as(db, "ana", new) is LoginOutcome.ok
    assert [row for row in await audit_trail(db) if row[0] == "cli:ops"] == [
        ("cli:ops", "staff_added", "ana"),
        ("cli:ops", "staff_password_changed", "ana"),
    ]


@pytest.mark.asyncio
async def test_staff_passwd_asks_twice_and_refuses_a_short_or_common_password(
    db: Database, database_url: str
) -> None:
    await add_ana(database_url)
    new = "a brand new horse"
    changed = await prompted("ana", database_url=database_url, typed=[new, new], command="passwd")
    assert (changed.exit_code, changed.stdout, changed.stderr) == (
        0,
        "Password: \nRepeat for confirmation: \npassword of staff user ana changed\n",
        "",
    )
    assert await log_in_as(db, "ana", new) is LoginOutcome.ok
    for refused, message in [
        ("too short", "the password must be at least 12 characters"),
        ("qwerty123456", "the password is one of the most commonly used passwords; choose another"),
    ]:
        result = await staff(
            "passwd", "ana", "--password-stdin", database_url=database_url, stdin=refused
        )
        assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")
    assert await log_in_as(db, "ana", new) is LoginOutcome.ok


@pytest.mark.asyncio
@pytest.mark.parametrize("command", ["passwd", "remove", "unlock"])
async def test_staff_commands_refuse_an_unknown_name_before_asking_anything(
    db: Database, database_url: str, command: str
) -> None:
    result = await prompted("eve", database_url=database_url, typed=[PASSWORD] * 2, command=command)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        "error: no staff user named 'eve'\n",
    )
    assert await audit_trail(db) == []


@pytest.mark.asyncio
async def test_staff_remove_ends_the_login_and_is_audited(db: Database, database_url: str) -> None:
    await add_ana(database_url)
    removed = await staff("remove", "ana", database_url=database_url)
    assert (removed.exit_code, removed.stdout, removed.stderr) == (
        0,
        "staff user ana removed\n",
        "",
    )
    assert await staff_names(db) == []
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.wrong
    assert await audit_trail(db) == [
        ("cli:ops", "staff_added", "ana"),
        ("cli:ops", "staff_removed", "ana"),
        ("ana", "login_failed", None),
    ]


@pytest.mark.asyncio
async def test_staff_unlock_lets_the_owner_try_again_at_once_and_is_audited(
    db: Database, database_url: str
) -> None:
    await add_ana(database_url)
    for _ in range(3):
        await log_in_as(db, "ana", "wrong")
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.throttled
    unlocked = await staff("unlock", "ana", database_url=database_url)
    assert (unlocked.exit_code, unlocked.stdout, unlocked.stderr) == (
        0,
        "staff user ana: failed logins forgotten from 1 address(es)\n",
        "",
    )
    assert await log_in_as(db, "ana", PASSWORD) is LoginOutcome.ok
    assert [row for row in await audit_trail(db) if row[0] == "cli:ops"] == [
        ("cli:ops", "staff_added", "ana"),
        ("cli:ops", "staff_unlocked", "ana"),
    ]
