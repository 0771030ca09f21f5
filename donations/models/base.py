"""What every ledger table shares: UTC timestamps, money columns and their checks."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig  # the type of SQLModel.model_config


class Table(SQLModel):
    """The base of every ledger table.

    SQLModel builds a pydantic validator and serializer for each model as its class is
    created: ~5 ms a table, most of a finance command's start-up. Table rows are never
    validated by pydantic (SQLModel constructs them without validation), so the build is
    deferred to the first `model_validate` / `model_dump`, which most processes never call.
    """

    model_config = SQLModelConfig(defer_build=True)


def utcnow() -> datetime:
    """Aware UTC. SQLModel's datetime columns refuse naive values and read back in UTC."""
    return datetime.now(UTC)


# Stripe ids are at most 255 characters; metadata values at most 500
# (https://docs.stripe.com/metadata#data).
STRIPE_ID_LENGTH = 255
METADATA_VALUE_LENGTH = 500


def money_field(*, default: int | None = None, nullable: bool = False) -> Any:
    """An amount in minor units. 64-bit: one charge fits in 8 digits, but invoices, sums and
    targets do not fit in 32 bits (a target of 21.47M in a two-decimal currency overflows)."""
    if nullable:
        return Field(default=default, sa_type=BigInteger, nullable=True)
    if default is None:
        return Field(sa_type=BigInteger)
    return Field(default=default, sa_type=BigInteger)


def epoch_field() -> Any:
    """Stripe's unix seconds, 64-bit (no 32-bit epochs)."""
    return Field(default=0, sa_type=BigInteger)


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
