"""What the app keeps for the life of the process, typed, reached from any request.

It sits under everything that uses it: the web layer, the domain modules that take the state
(checkout, live progress) and the webhook endpoint import it; it imports only what it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe
from starlette.requests import Request
from stripe import HTTPClient

from donations.db import Database
from donations.login_memory import LoginMemory
from donations.offer_cache import OfferCache
from donations.progress_cache import ProgressCache
from donations.ratelimit import AccountLimits, CheckoutRateLimiter, ProcessBudget
from donations.settings import Settings
from donations.stripe_api import FormPost

# Stripe lookups the thanks page may make for sessions we know nothing of, across the workers.
THANKS_LOOKUPS = "30/minute"


@dataclass
class AppState:
    settings: Settings
    db: Database
    # Reports read from REPORTS_DATABASE_URL when set (a replica), else from `db`.
    reports_db: Database
    stripe: stripe.StripeClient
    # The connection pool under `stripe`, closed with the app.
    stripe_http: HTTPClient
    # Checkout Sessions each client may start (CHECKOUT_RATE_LIMIT).
    checkout_limiter: CheckoutRateLimiter = field(init=False)
    # Sign-in emails per email address and per client (ACCOUNT_*_RATE_LIMIT).
    account_limits: AccountLimits = field(init=False)
    # The thanks page's Stripe lookups (THANKS_LOOKUPS), for the whole process.
    thanks_lookups: ProcessBudget = field(init=False)
    # Public progress figures, recomputed in the background (donations/reports/live.py).
    progress_cache: ProgressCache = field(default_factory=ProgressCache)
    # Staff logins verified lately (/admin).
    staff_logins: LoginMemory = field(default_factory=LoginMemory)
    # The contribute page's offers per campaign and placement, for a few seconds.
    offers: OfferCache = field(default_factory=OfferCache)
    # Stripe POSTs prepared once per path (stripe_post).
    _stripe_posts: dict[str, FormPost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.checkout_limiter = CheckoutRateLimiter.from_settings(self.settings)
        self.account_limits = AccountLimits(self.settings)
        self.thanks_lookups = ProcessBudget(THANKS_LOOKUPS, workers=self.settings.WEB_CONCURRENCY)

    def stripe_post(self, path: str) -> FormPost:
        """A form POST to `path` through `stripe` (donations/stripe_api.py, FormPost)."""
        post = self._stripe_posts.get(path)
        if post is None or post.client is not self.stripe:
            post = self._stripe_posts[path] = FormPost(self.stripe, self.stripe_http, path)
        return post

    async def aclose(self) -> None:
        await self.checkout_limiter.aclose()
        await self.account_limits.aclose()
        await self.progress_cache.aclose()
        await self.stripe_http.close_async()  # type: ignore[no-untyped-call]
        if self.reports_db is not self.db:
            await self.reports_db.dispose()
        await self.db.dispose()


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.donations
    return state
