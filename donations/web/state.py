"""What the app keeps for the life of the process, typed, reached from any request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe
from starlette.requests import Request

from donations.db import Database
from donations.settings import Settings


@dataclass
class AppState:
    settings: Settings
    db: Database
    # Reports read from REPORTS_DATABASE_URL when set (a replica), else from `db`.
    reports_db: Database
    stripe: stripe.StripeClient
    # Per-feature extras (rate limiter, caches), keyed by the feature's module.
    extras: dict[str, Any] = field(default_factory=dict)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.donations
    return state
