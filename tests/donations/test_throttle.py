"""Failed logins slow the client that fails, per name and address and per address, in the
database (so every process agrees), and never lock the owner out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, func, select

from donations import throttle
from donations.db import Database
from donations.models import AuditLog, LoginThrottle
from donations.staff import LoginOutcome, LoginResult, add_staff, log_in, unlock_staff

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
SECOND = timedelta(seconds=1)


async def add_ana(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name="ana", password=PASSWORD, actor="test")


async def attempt(
    db: Database, password: str, *, at: datetime, ip: str = ATTACKER, name: str = "ana"
) -> LoginResult:
    # A clock that stands still: the attempt and its answer at the same moment.
    return await log_in(db=db, name=name, password=password, client_ip=ip, clock=lambda: at)


async def outcome(
    db: Database, password: str, *, at: datetime, ip: str = ATTACKER, name: str = "ana"
) -> tuple[LoginOutcome, timedelta | None]:
    result = await attempt(db, password, at=at, ip=ip, name=name)
    return result.outcome, result.retry_after


async def actions(db: Database) -> list[str]:
    async with db.session() as session:
        rows = await session.exec(
            select(AuditLog.action).where(AuditLog.actor == "ana").order_by(col(AuditLog.id))
        )
        return list(rows)


def test_backoff_is_free_then_doubles_from_one_second_to_its_cap() -> None:
    waits = [throttle.PER_NAME_AND_ADDRESS.wait(n) for n in range(15)]
    seconds = [int(wait.total_seconds()) for wait in waits]
    assert seconds == [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    address = [int(throttle.PER_ADDRESS.wait(n).total_seconds()) for n in (9, 10, 11, 19, 20)]
    assert address == [0, 1, 2, 512, 900]
    # However many failures, the wait is the cap (no overflow).
    assert throttle.PER_ADDRESS.wait(10**6) == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("client_ip", "counted_as"),
    [
        ("203.0.113.66", "203.0.113.66"),
        # One subscriber's IPv6 block is a /64: every address in it counts as one client.
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.66", "203.0.113.66"),
        (None, "unknown"),
    ],
)
def test_a_client_is_counted_by_ipv4_address_or_ipv6_slash_64(
    client_ip: str | None, counted_as: str
) -> None:
    assert throttle.client_address(client_ip) == counted_as


@pytest.mark.asyncio
async def test_backoff_grows_with_each_failure_and_a_right_password_resets_it(
    db: Database,
) -> None:
    await add_ana(db)
    # Three failures cost nothing.
    for _ in range(3):
        assert await outcome(db, "wrong", at=NOW) == (LoginOutcome.wrong, None)
    # Then one second, refused without checking the password, even the right one.
    assert await outcome(db, PASSWORD, at=NOW) == (LoginOutcome.throttled, SECOND)
    assert await outcome(db, "wrong", at=NOW + SECOND / 2) == (LoginOutcome.throttled, SECOND / 2)
    # A refused attempt does not count: a second later the fourth failure is checked.
    assert await outcome(db, "wrong", at=NOW + SECOND) == (LoginOutcome.wrong, None)
    later = NOW + SECOND
    assert await outcome(db, "wrong", at=later) == (LoginOutcome.throttled, 2 * SECOND)
    later += 2 * SECOND
    assert await outcome(db, "wrong", at=later) == (LoginOutcome.wrong, None)
    assert await outcome(db, "wrong", at=later + SECOND) == (LoginOutcome.throttled, 3 * SECOND)
    later += 4 * SECOND
    assert (await attempt(db, PASSWORD, at=later)).outcome is LoginOutcome.ok
    # The right password forgave the failures: three free ones again.
    for _ in range(3):
        assert await outcome(db, "wrong", at=later) == (LoginOutcome.wrong, None)
    assert await outcome(db, "wrong", at=later) == (LoginOutcome.throttled, SECOND)
    assert await actions(db) == (
        ["login_failed"] * 3
        + ["login_throttled"] * 2
        + ["login_failed", "login_throttled", "login_failed", "login_throttled", "login"]
        + ["login_failed"] * 3
        + ["login_throttled"]
    )


@pytest.mark.asyncio
async def test_the_wait_runs_from_the_wrong_answer_not_from_the_attempt(db: Database) -> None:
    await add_ana(db)
    for _ in range(2):
        await attempt(db, "wrong", at=NOW)
    # The third attempt starts at NOW; checking its hash takes 0.4 s.
    times = iter([NOW, NOW + SECOND * 0.4])
    third = await log_in(
        db=db, name="ana", password="wrong", client_ip=ATTACKER, clock=lambda: next(times)
    )
    assert third.outcome is LoginOutcome.wrong
    assert await outcome(db, PASSWORD, at=NOW + SECOND * 1.2) == (LoginOutcome.throttled, SECOND / 5)
    assert (await attempt(db, PASSWORD, at=NOW + SECOND * 1.4)).outcome is LoginOutcome.ok


@pytest.mark.asyncio
async def test_the_owner_on_another_address_is_never_slowed_by_an_attacker(
    db: Database,
) -> None:
    await add_ana(db)
    at = NOW
    for _ in range(22):  # guessing as fast as allowed, up to the name's cap
        result = await attempt(db, "guess", at=at)
        at += result.retry_after or timedelta(0)
    assert await outcome(db, "guess", at=at) == (LoginOutcome.wrong, None)
    assert await outcome(db, "guess", at=at) == (LoginOutcome.throttled, timedelta(minutes=5))
    assert (await attempt(db, PASSWORD, at=at, ip=OWNER)).outcome is LoginOutcome.ok
    # Nor by her own typo from her address, beyond the free ones.
    assert await outcome(db, "typo", at=at, ip=OWNER) == (LoginOutcome.wrong, None)
    assert (await attempt(db, PASSWORD, at=at, ip=OWNER)).outcome is LoginOutcome.ok


@pytest.mark.asyncio
async def test_one_address_trying_many_names_meets_the_per_address_cap(db: Database) -> None:
    await add_ana(db)
    names = [f"guess{number}" for number in range(10)]
    for name in names:  # one failure each: no name is slowed, the address is
        assert await outcome(db, "x", at=NOW, name=name) == (LoginOutcome.wrong, None)
    assert await outcome(db, "x", at=NOW, name="guess10") == (LoginOutcome.throttled, SECOND)
    assert await outcome(db, PASSWORD, at=NOW, name="ana") == (LoginOutcome.throttled, SECOND)
    # Another address is not concerned.
    assert (await attempt(db, PASSWORD, at=NOW, ip=OWNER)).outcome is LoginOutcome.ok
    # The address waits 1, 2, 4... seconds between failures, whichever the name.
    assert await outcome(db, "x", at=NOW + SECOND, name="guess11") == (LoginOutcome.wrong, None)
    assert await outcome(db, "x", at=NOW + SECOND, name="guess12") == (
        LoginOutcome.throttled,
        2 * SECOND,
    )


@pytest.mark.asyncio
async def test_a_right_password_takes_back_the_attempt_counted_against_the_address(
    db: Database,
) -> None:
    await add_ana(db)
    for number in range(9):
        await attempt(db, "x", at=NOW, name=f"guess{number}")
    for _ in range(3):  # logging in again and again from that address costs nothing
        assert (await attempt(db, PASSWORD, at=NOW)).outcome is LoginOutcome.ok
    assert await outcome(db, "x", at=NOW, name="guess9") == (LoginOutcome.wrong, None)
    assert await outcome(db, "x", at=NOW, name="guess10") == (LoginOutcome.throttled, SECOND)


@pytest.mark.asyncio
async def test_a_burst_of_concurrent_guesses_checks_only_the_free_ones(db: Database) -> None:
    await add_ana(db)
    results = await asyncio.gather(*(attempt(db, f"guess {n}", at=NOW) for n in range(20)))
    # Counted before the password is checked, so the burst cannot slip past the count.
    assert sorted(result.outcome for result in results) == (
        [LoginOutcome.throttled] * 17 + [LoginOutcome.wrong] * 3
    )
    assert sorted(await actions(db)) == ["login_failed"] * 3 + ["login_throttled"] * 17


@pytest.mark.asyncio
async def test_failures_are_forgotten_a_day_after_the_last(db: Database) -> None:
    await add_ana(db)
    for _ in range(3):
        await attempt(db, "wrong", at=NOW)
    day_later = NOW + timedelta(days=1)
    for _ in range(3):
        assert await outcome(db, "wrong", at=day_later) == (LoginOutcome.wrong, None)
    assert await outcome(db, "wrong", at=day_later) == (LoginOutcome.throttled, SECOND)


@pytest.mark.asyncio
async def test_counters_nobody_failed_against_for_a_day_are_removed(db: Database) -> None:
    await add_ana(db)
    for number in range(3):
        await attempt(db, "x", at=NOW, name=f"guess{number}", ip=f"192.0.2.{number}")
    await attempt(db, "x", at=NOW + timedelta(days=1, seconds=1), ip=OWNER)
    async with db.session() as session:
        rows = (await session.exec(select(func.count()).select_from(LoginThrottle))).one()
    # Only the new failure's two counters (ana from OWNER, and OWNER) are left.
    assert rows == 2


@pytest.mark.asyncio
async def test_unlock_forgets_a_name_from_every_address_and_only_that_name(
    db: Database,
) -> None:
    await add_ana(db)
    for ip in (ATTACKER, OWNER):
        for _ in range(3):
            await attempt(db, "wrong", at=NOW, ip=ip)
    for _ in range(3):
        await attempt(db, "x", at=NOW, name="bob", ip="192.0.2.1")
    async with db.session() as session:
        assert await unlock_staff(session=session, name="ana", actor="test", now=NOW) == 2
    assert await outcome(db, "wrong", at=NOW, ip=ATTACKER) == (LoginOutcome.wrong, None)
    assert await outcome(db, "x", at=NOW, name="bob", ip="192.0.2.1") == (
        LoginOutcome.throttled,
        SECOND,
    )


@pytest.mark.asyncio
async def test_unknown_names_are_throttled_exactly_like_known_ones(db: Database) -> None:
    await add_ana(db)
    known = [await outcome(db, "wrong", at=NOW, name="ana") for _ in range(5)]
    unknown = [await outcome(db, "wrong", at=NOW, name="eve", ip=OWNER) for _ in range(5)]
    assert known == unknown == [(LoginOutcome.wrong, None)] * 3 + [(LoginOutcome.throttled, SECOND)] * 2
