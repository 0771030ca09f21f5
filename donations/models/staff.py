"""Finance logins for /admin, how their failed attempts are throttled, and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field

from donations.models.base import Table, utcnow


class StaffUser(Table, table=True):
    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    # argon2id. Also the credential's version: a new password (even the same one again) gets
    # a new salt, so a changed hash ends logins that processes remember.
    password_hash: str = Field(max_length=255)
    last_login_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginThrottle(Table, table=True):
    """Failed logins counted against one thing that is slowed down: a name from one client
    address, or one client address across all names (donations.throttle)."""

    __tablename__ = "login_throttle"

    # SHA-256 (hex) of what is counted: names are whatever a client typed, of any length,
    # sometimes a password typed in the wrong field, so they are not kept here in clear.
    key: str = Field(primary_key=True, max_length=64)
    # SHA-256 of the name on a name's rows, so `donations staff unlock` finds them all.
    name_key: str | None = Field(default=None, max_length=64, index=True)
    failures: int = 0
    last_failure_at: datetime = Field(index=True)


class AuditLog(Table, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)  # donations.staff.Action
    detail: str | None = Field(default=None, sa_column=Column(Text))
    client_ip: str | None = Field(default=None, max_length=64)
