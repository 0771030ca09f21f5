"""(being written)"""

from __future__ import annotations

from starlette.middleware import Middleware

from donations.settings import Settings


def middleware(settings: Settings) -> list[Middleware]:
    return []
