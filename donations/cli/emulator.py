"""`donations emulator`: the bundled Stripe emulator on a port of its own.

For pointing another process at a local Stripe (STRIPE_API_BASE), the way one would use
stripe-mock; `donations serve` without a key mounts the same emulator inside the app instead.
It takes every option of `python -m stripe_emulator` (stripe_emulator/__main__.py), with the
same names and defaults (a test holds them together); webhook secrets default to
STRIPE_WEBHOOK_SECRET, and webhooks go to SITE_URL/webhooks/stripe unless --webhook-url says.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

import typer

from donations.cli.common import fail
from donations.settings import get_settings
from donations.stripe_api import EMULATOR_WEBHOOK_SECRET

NOT_IN_PRODUCTION = "the Stripe emulator is for development; ENVIRONMENT is production"
SECRETS_PER_URL = (
    "give one --webhook-secret for each --webhook-url, or none (STRIPE_WEBHOOK_SECRET)"
)
NOT_A_NUMBER = "--fee-percent: not a number: {text!r}"
# EmulatorConfig's defaults, written out: importing the emulator costs every other command.
DEFAULT_FEE_PERCENT = "1.5"


def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(12111, help="Port to listen on (stripe-mock's)"),
    public_url: str | None = typer.Option(
        None, help="Base URL browsers use [default: http://HOST:PORT]"
    ),
    webhook_url: list[str] = typer.Option(
        [], help="Where to deliver webhooks, repeatable [default: SITE_URL/webhooks/stripe]"
    ),
    webhook_secret: list[str] = typer.Option(
        [], help="One per --webhook-url [default: STRIPE_WEBHOOK_SECRET]"
    ),
    delivery_delay: float = typer.Option(0.0, help="Seconds before each delivery's first try"),
    retry_base_delay: float = typer.Option(0.5, help="Seconds before the first retry (doubles)"),
    max_attempts: int = typer.Option(5, help="Attempts per delivery"),
    delivery_concurrency: int = typer.Option(1, help="Deliveries in flight at once"),
    fee_percent: str = typer.Option(DEFAULT_FEE_PERCENT, help="Fee of each charge, percent"),
    fee_fixed: int = typer.Option(25, help="Fixed fee of each charge, minor units"),
    upcoming_renewal_days: int = typer.Option(
        7, help="invoice.upcoming this many days before a renewal (0: none)"
    ),
    payout_schedule: str = typer.Option("daily", help="daily or manual"),
    payout_delay_days: int = typer.Option(2, help="Days before money coming in is available"),
    payout_arrival_days: int = typer.Option(2, help="Days from a payout's creation to arrival"),
) -> None:
    """Run the local Stripe emulator standalone; webhooks are signed with STRIPE_WEBHOOK_SECRET."""
    # Imported here: only this command needs the emulator and the server.
    import uvicorn

    from stripe_emulator import EmulatorConfig, create_app

    settings = get_settings()
    if settings.ENVIRONMENT == "production":
        fail(NOT_IN_PRODUCTION)
    secret = settings.STRIPE_WEBHOOK_SECRET or EMULATOR_WEBHOOK_SECRET
    urls = webhook_url or [settings.SITE_URL + "/webhooks/stripe"]
    secrets = webhook_secret or [secret] * len(urls)
    if len(secrets) != len(urls):
        fail(SECRETS_PER_URL)
    try:
        percent = Decimal(fee_percent)
    except InvalidOperation:
        fail(NOT_A_NUMBER.format(text=fee_percent))
    try:
        config = EmulatorConfig(
            public_url=public_url or f"http://{host}:{port}",
            webhook_endpoints=list(zip(urls, secrets, strict=True)),
            delivery_delay=delivery_delay,
            retry_base_delay=retry_base_delay,
            max_attempts=max_attempts,
            delivery_concurrency=delivery_concurrency,
            fee_percent=percent,
            fee_fixed=fee_fixed,
            upcoming_renewal_days=upcoming_renewal_days,
            payout_schedule=payout_schedule,
            payout_delay_days=payout_delay_days,
            payout_arrival_days=payout_arrival_days,
        )
    except ValueError as error:
        fail(str(error))
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    typer.echo(f"Stripe emulator on http://{host}:{port} (STRIPE_API_BASE)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
