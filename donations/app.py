"""The app factory: the reader's pages, the webhook inbox, the public progress, /admin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from donations.db import Database, Timeouts
from donations.mail import worker as mail_worker
from donations.settings import Settings, get_settings
from donations.state import AppState
from donations.stripe_api import (
    EMULATOR_PATH,
    make_stripe_client,
    stripe_transport,
    webhook_secret,
)
from donations.web import account, admin, brand, contribute, health, mail_links, public
from donations.web import metrics as metrics_page
from donations.web.middleware import middleware
from webhooks import endpoint as webhook_endpoint

logger = logging.getLogger(__name__)


def _emulator(settings: Settings) -> Starlette:
    # Imported here: production never loads the emulator at all.
    from stripe_emulator import EmulatorConfig
    from stripe_emulator import create_app as create_emulator

    config = EmulatorConfig(
        public_url=settings.SITE_URL + EMULATOR_PATH,
        webhook_endpoints=[(settings.SITE_URL + "/webhooks/stripe", webhook_secret(settings))],
    )
    return create_emulator(config)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    settings.check_production()
    brand.use_template_folder(settings.TEMPLATE_DIR)

    # Starlette tries each route's pattern in turn: the busiest ones (Stripe's deliveries,
    # then the readers' checkouts) first, not after the forty others (bench/PROFILE.md).
    routes: list[BaseRoute] = [
        *webhook_endpoint.routes,
        *contribute.routes,
        *health.routes,
        *account.routes,
        *brand.routes(settings),
        *public.routes,
        *mail_links.routes,
        *admin.routes,
        *metrics_page.routes,
    ]
    emulator = None
    if settings.uses_emulator and settings.ENVIRONMENT != "production":
        emulator = _emulator(settings)
        routes.append(Mount(EMULATOR_PATH, app=emulator, name="stripe_emulator"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timeouts = Timeouts(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT)
        db = Database(settings.DATABASE_URL, timeouts=timeouts)
        reports_db = (
            Database(settings.REPORTS_DATABASE_URL, writes=False, timeouts=timeouts)
            if settings.REPORTS_DATABASE_URL
            else db
        )
        stripe_http = stripe_transport(settings)
        state = AppState(
            settings=settings,
            db=db,
            reports_db=reports_db,
            stripe=make_stripe_client(settings, http_client=stripe_http),
            stripe_http=stripe_http,
        )
        app.state.donations = state
        if emulator is not None:
            logger.info("no STRIPE_SECRET_KEY: Stripe is the local emulator at %s", EMULATOR_PATH)
        # Every server process delivers the outbox (donations/mail/worker.py): messages are
        # claimed one at a time, so processes (and cron's `donations mail send`) never collide.
        stop_mail = asyncio.Event()
        mail = (
            asyncio.create_task(mail_worker.run(db, settings, stop_mail))
            if settings.MAIL_ENABLED
            else None
        )
        try:
            yield
        finally:
            stop_mail.set()
            if mail is not None:
                await mail
            if emulator is not None:
                # A mounted app's lifespan never runs: stop its webhook deliveries here.
                await emulator.state.emulator.aclose()
            await state.aclose()

    # Outermost, so that a request's time includes every other middleware's; outside it only
    # the progress API's fast path for a cached figure, which times itself (public.py).
    hsts = settings.ENVIRONMENT == "production"
    timed = [
        Middleware(public.ProgressFastPath, hsts=hsts),
        Middleware(metrics_page.RequestMetrics),
        *middleware(settings),
    ]
    return Starlette(routes=routes, middleware=timed, lifespan=lifespan)
