"""`donations emulator`: the bundled Stripe emulator on a port of its own.

For pointing another process at a local Stripe (STRIPE_API_BASE), the way one would use
stripe-mock; `donations serve` without a key mounts the same emulator inside the app instead.
"""

from __future__ import annotations

import logging

import typer

from donations.cli.common import fail
from donations.settings import get_settings
from donations.stripe_api import EMULATOR_WEBHOOK_SECRET

NOT_IN_PRODUCTION = "the Stripe emulator is for development; ENVIRONMENT is production"


def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(12111, help="Port to listen on (stripe-mock's)"),
    webhook_url: str | None = typer.Option(
        None, help="Where to deliver webhooks [default: SITE_URL/webhooks/stripe]"
    ),
) -> None:
    """Run the local Stripe emulator standalone; webhooks are signed with STRIPE_WEBHOOK_SECRET."""
    # Imported here: only this command needs the emulator and the server.
    import uvicorn

    from stripe_emulator import EmulatorConfig, create_app

    settings = get_settings()
    if settings.ENVIRONMENT == "production":
        fail(NOT_IN_PRODUCTION)
    secret = settings.STRIPE_WEBHOOK_SECRET or EMULATOR_WEBHOOK_SECRET
    config = EmulatorConfig(
        public_url=f"http://{host}:{port}",
        webhook_endpoints=[(webhook_url or settings.SITE_URL + "/webhooks/stripe", secret)],
    )
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    typer.echo(f"Stripe emulator on http://{host}:{port} (STRIPE_API_BASE)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
