"""Staff logins this process has verified lately, so that argon2 is not run on every request.

A browser sends HTTP Basic credentials with every request; checking argon2 each time would
cost every page tens of milliseconds of CPU. A verified name and password are remembered for
LOGIN_MEMORY_SECONDS as a SHA-256 digest (never the password) together with the stored hash
they matched: the caller compares that hash with the stored one on each request, so a new
password or a removed user ends the login at once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

LOGIN_MEMORY_SECONDS = 300.0
# More distinct logins than any newsroom's staff: past it the memory starts again empty.
MEMORY_LIMIT = 1000


@dataclass(frozen=True)
class RememberedLogin:
    until: float  # time.monotonic()
    credential: str  # the stored hash the password matched


def fingerprint(name: str, password: str) -> str:
    # Only a digest is kept in memory, never the password itself.
    return hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()


@dataclass
class LoginMemory:
    logins: dict[str, RememberedLogin] = field(default_factory=dict)

    def credential(self, key: str) -> str | None:
        """The stored hash a still-remembered login matched, or None."""
        remembered = self.logins.get(key)
        if remembered is None or remembered.until <= time.monotonic():
            return None
        return remembered.credential

    def remember(self, key: str, credential: str) -> None:
        if len(self.logins) >= MEMORY_LIMIT:
            self.logins.clear()
        self.logins[key] = RememberedLogin(time.monotonic() + LOGIN_MEMORY_SECONDS, credential)

    def forget(self, key: str) -> None:
        self.logins.pop(key, None)
