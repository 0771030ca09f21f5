"""Login throttling: failed logins slow the one who fails, and never lock the owner out.

Two counters are kept for every attempt:

- a name from one client address (PER_NAME_AND_ADDRESS): after a few failures each further
  attempt waits, one second doubling per failure up to a few minutes. The owner, from any
  other address, is not slowed by someone else's guesses at their name;
- a client address across all names (PER_ADDRESS): a guesser who tries many names from one
  address is slowed the same way after more failures, up to a longer wait.

Both are kept for names that do not exist too, so the answers do not tell which names do.
IPv6 clients are counted by /64, the block one subscriber usually holds; IPv4 by address.

An attempt is counted as a failure before its password is checked, and taken back when the
password turns out right: counting after the check would let a burst of concurrent guesses
all pass before the first was counted. While a counter makes an attempt wait, the attempt is
refused unchecked and is not counted, so hammering does not lengthen the wait.

The counters are in the database, so that every process sees them. Not in Redis: every
attempt writes its audit row to the database anyway, `donations staff unlock` then needs
nothing but DATABASE_URL, and an unreachable Redis cannot let guesses through unslowed (the
checkout limiter lets readers through when Redis is down).
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.models import LoginThrottle
from donations.sql import insert_for

# Stale rows removed per attempt: enough to keep up with any rate of new rows.
_PRUNE_BATCH = 100
# Past this, 2**n only overflows what a timedelta holds; the cap has long been reached.
_MAX_DOUBLINGS = 32


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; then each attempt waits `first`, doubled per further
    failure, at most `cap`. A counter is forgotten `forget` after its last failure."""

    free: int
    first: timedelta
    cap: timedelta
    forget: timedelta

    def wait(self, failures: int) -> timedelta:
        """How long after the last failure the next attempt must wait."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, _MAX_DOUBLINGS)
        wait: timedelta = self.first * 2**doublings
        return min(self.cap, wait)


PER_NAME_AND_ADDRESS = Backoff(
    free=3, first=timedelta(seconds=1), cap=timedelta(minutes=5), forget=timedelta(days=1)
)
PER_ADDRESS = Backoff(
    free=10, first=timedelta(seconds=1), cap=timedelta(minutes=15), forget=timedelta(days=1)
)
FORGOTTEN = max(PER_NAME_AND_ADDRESS.forget, PER_ADDRESS.forget)


def client_address(client_ip: str | None) -> str:
    """What one client is counted as: an IPv4 address, or an IPv6 address's /64."""
    if client_ip is None:
        return "unknown"
    try:
        ip = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def name_key(name: str) -> str:
    return _digest("name", name)


@dataclass(frozen=True)
class _Counter:
    key: str
    name_key: str | None
    backoff: Backoff


def _counters(name: str, client_ip: str | None) -> tuple[_Counter, _Counter]:
    # Always in this order, so two attempts lock the rows in the same order (no deadlock).
    address = client_address(client_ip)
    return (
        _Counter(_digest("address", address), None, PER_ADDRESS),
        _Counter(_digest("name", name, "address", address), name_key(name), PER_NAME_AND_ADDRESS),
    )


async def claim(
    *, session: AsyncSession, name: str, client_ip: str | None, now: datetime
) -> timedelta | None:
    """Count an attempt as a failure before its password is checked. Returns how long the
    client must still wait (the attempt counted nothing), or None: go ahead. The caller
    commits; the rows stay locked until then."""
    counters = _counters(name, client_ip)
    counts = [await _locked_count(session, counter, now) for counter in counters]
    waits = [
        last + counter.backoff.wait(failures) - now
        for counter, (failures, last) in zip(counters, counts, strict=True)
    ]
    longest = max(waits)
    if longest > timedelta(0):
        return longest
    for counter, (failures, _) in zip(counters, counts, strict=True):
        await session.exec(
            update(LoginThrottle)
            .where(col(LoginThrottle.key) == counter.key)
            .values(failures=failures + 1, last_failure_at=now)
        )
    await _prune(session, now)
    return None


async def answered(
    *, session: AsyncSession, name: str, client_ip: str | None, at: datetime
) -> None:
    """The password was wrong, and the client is told so at `at`: the waits run from then.
    From the claim instead, checking the hash would use up part of them."""
    for counter in _counters(name, client_ip):  # in claim's order (no deadlock)
        await session.exec(
            update(LoginThrottle)
            .where(col(LoginThrottle.key) == counter.key, col(LoginThrottle.last_failure_at) < at)
            .values(last_failure_at=at)
        )


async def forgive(*, session: AsyncSession, name: str, client_ip: str | None) -> None:
    """The password was right: take back the attempt counted against the address, and
    forget the name's failures from this address."""
    address, name_at_address = _counters(name, client_ip)  # in claim's order (no deadlock)
    await session.exec(
        update(LoginThrottle)
        .where(col(LoginThrottle.key) == address.key)
        .values(
            failures=case(
                (col(LoginThrottle.failures) > 0, col(LoginThrottle.failures) - 1), else_=0
            )
        )
    )
    await session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == name_at_address.key))


async def clear_name(*, session: AsyncSession, name: str) -> int:
    """Forget a name's failures from every address; returns how many addresses had some."""
    deleted = await session.exec(
        delete(LoginThrottle)
        .where(col(LoginThrottle.name_key) == name_key(name))
        .returning(col(LoginThrottle.failures))
    )
    return sum(1 for (failures,) in deleted if failures > 0)


async def addresses_with_failures(*, session: AsyncSession, name: str, now: datetime) -> int:
    """From how many addresses this name has failures not yet forgotten."""
    forgotten = now - PER_NAME_AND_ADDRESS.forget
    count = await session.exec(
        select(func.count())
        .select_from(LoginThrottle)
        .where(
            col(LoginThrottle.name_key) == name_key(name),
            col(LoginThrottle.failures) > 0,
            col(LoginThrottle.last_failure_at) > forgotten,
        )
    )
    return count.one()


async def _locked_count(
    session: AsyncSession, counter: _Counter, now: datetime
) -> tuple[int, datetime]:
    """(failures, last failure) of a counter, its row made if missing and locked until the
    transaction ends. One statement: an upsert that touches the row takes its lock (on
    PostgreSQL; SQLite's whole database is already locked by BEGIN IMMEDIATE)."""
    statement = (
        insert_for(session.get_bind().dialect.name)(LoginThrottle)
        .values(key=counter.key, name_key=counter.name_key, failures=0, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[col(LoginThrottle.key)],
            # Sets what is there: the point is the row lock, and RETURNING the row.
            set_={"failures": col(LoginThrottle.failures)},
        )
        .returning(col(LoginThrottle.failures), col(LoginThrottle.last_failure_at))
    )
    failures, last = (await session.exec(statement)).one()
    if now - last >= counter.backoff.forget:
        return 0, now
    return int(failures), last


async def _prune(session: AsyncSession, now: datetime) -> None:
    """Remove counters nobody has failed against for longer than they are remembered, a few
    at a time. Rows another attempt holds are skipped, never waited for."""
    stale = (
        select(LoginThrottle.key)
        .where(col(LoginThrottle.last_failure_at) < now - FORGOTTEN)
        .limit(_PRUNE_BATCH)
        .with_for_update(skip_locked=True)
    )
    await session.exec(delete(LoginThrottle).where(col(LoginThrottle.key).in_(stale)))
