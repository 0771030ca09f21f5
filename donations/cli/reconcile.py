"""`donations reconcile fees`: Stripe's fee for every payment that lacks one."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable

import stripe
import typer
from rich.console import Console
from rich.progress import Progress

from donations.cli.common import fail, run_with_db
from donations.cli.reconcile_payouts import payouts
from donations.db import Database
from donations.fees import (
    Fee,
    Lacking,
    fee_of,
    fee_of_charge,
    mark_unavailable,
    never_available,
    no_charge_fee,
    payments_lacking_fees,
    record_fee,
    stored_fee,
    total_fee,
)
from donations.models import utcnow
from donations.settings import get_settings
from donations.stripe_api import api_base, open_stripe_client

logger = logging.getLogger(__name__)

app = typer.Typer(no_args_is_help=True)
app.command("payouts")(payouts)

# Exit code when a lookup failed for a reason other than Stripe not having the payment.
FAILED = 1

FeeLookup = Callable[[stripe.StripeClient, str], Awaitable[Fee | None]]


@app.command("fees")
def fees() -> None:
    """Fetch the balance transaction of each payment lacking a fee, and store the fee."""
    settings = get_settings()

    async def work(db: Database) -> Counter[str]:
        async with open_stripe_client(settings) as client:
            return await _reconcile(db, client)

    try:
        counts = run_with_db(work)
    except stripe.APIConnectionError:
        # With the emulator, Stripe is the running service itself: SITE_URL must name it.
        fail(f"cannot reach Stripe at {api_base(settings) or 'api.stripe.com'}; nothing changed")
    # One line, whatever the number of payments: each real failure was logged with its reason.
    typer.echo(
        f"fees: {counts.total()} payments lacked one: fetched {counts['recorded']}, "
        f"unavailable {counts['unavailable']} (Stripe does not have them), "
        f"failed {counts['failed']}; not settled yet {counts['not settled yet']}, "
        f"without a PaymentIntent yet {counts['no PaymentIntent yet']}"
    )
    if counts["failed"]:
        # Worth a look (and cron's mail); fees Stripe will never have are not a failure.
        raise typer.Exit(FAILED)


async def reconcile_all(db: Database, client: stripe.StripeClient) -> Counter[str]:
    """Every payment lacking a fee, looked up: how many ended each way."""
    return await _reconcile(db, client)


async def _reconcile(db: Database, client: stripe.StripeClient) -> Counter[str]:
    async with db.session() as session:
        lacking = await payments_lacking_fees(session)
    counts: Counter[str] = Counter()
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("fetching fees", total=len(lacking))
        for payment in lacking:
            progress.advance(task)
            outcome = await _reconcile_one(db, client, payment)
            counts[outcome] += 1
    return counts


async def _reconcile_one(db: Database, client: stripe.StripeClient, payment: Lacking) -> str:
    payment_id = payment.payment_id
    nothing_charged = no_charge_fee(payment, utcnow())
    if nothing_charged is not None:
        async with db.session() as session, session.begin():
            await record_fee(session, payment_id, nothing_charged)
        return "recorded"
    async with db.session() as session, session.begin():
        paid_out = await stored_fee(session, payment)
        if paid_out is not None:
            await record_fee(session, payment_id, paid_out)
            return "recorded"
    # A PaymentIntent's charge is found through it; a charge is asked for only when it is
    # all the payment names (an invoice paid by a charge without a PaymentIntent).
    lookups: list[tuple[FeeLookup, str]] = [(fee_of, key) for key in payment.payment_intents] or [
        (fee_of_charge, key) for key in payment.charges
    ]
    if not lookups:
        return "no PaymentIntent yet"
    fees: list[Fee] = []
    for lookup, key in lookups:
        try:
            fee = await lookup(client, key)
        except stripe.APIConnectionError:
            raise
        except stripe.StripeError as error:
            if never_available(error):
                async with db.session() as session, session.begin():
                    await mark_unavailable(session, payment_id, error.user_message or str(error))
                return "unavailable"
            logger.warning("fee lookup failed for %s: %s", key, error.user_message)
            return "failed"
        if fee is None:
            return "not settled yet"
        fees.append(fee)
    try:
        total = total_fee(fees)
    except ValueError as error:
        logger.warning("fee of payment %s not recorded: %s", payment_id, error)
        return "failed"
    async with db.session() as session, session.begin():
        await record_fee(session, payment_id, total)
    return "recorded"
