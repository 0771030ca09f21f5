"""What every ledger table shares: UTC timestamps, money columns and their checks."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint


def utcnow() -> datetime:
    """Aware UTC. SQLModel's datetime columns refuse naive values and read back in UTC."""
    return datetime.now(UTC)


def currency_check(table: str, column: str = "currency") -> CheckConstraint:
    return CheckConstraint(
        f"length({column}) = 3 AND {column} = lower({column})",
        name=f"ck_{table}_{column}_iso",
    )


def non_negative(table: str, column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"ck_{table}_{column}_non_negative")


def one_of(table: str, column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{value.value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}_valid")


class Frequency(StrEnum):
    one_off = "one_off"
    monthly = "monthly"
    annual = "annual"
