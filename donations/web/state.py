"""What the app keeps for the life of the process, typed, reached from any request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe
from starlette.requests import Request
from stripe import HTTPClient

from donations.db import Database
from donations.settings import Settings


@dataclass
class AppState:
    settings: Settings
    db: Database
    # Reports read from REPORTS_DATABASE_URL when set (a replica), else from `db`.
    reports_db: Database
    stripe: stripe.StripeClient
    # The connection pool under `stripe`, closed with the app.
    stripe_http: HTTPClient
    # Per-feature extras (rate limiter, caches), keyed by the feature's module. Those with an
    # `aclose()` coroutine method are closed on shutdown.
    extras: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        for extra in self.extras.values():
            close = getattr(extra, "aclose", None)
            if close is not None:
                await close()
        self.extras.clear()
        await self.stripe_http.close_async()  # type: ignore[no-untyped-call]
        if self.reports_db is not self.db:
            await self.reports_db.dispose()
        await self.db.dispose()


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.donations
    return state
