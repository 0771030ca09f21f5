"""`python -m stripe_emulator`: run the emulator standalone under uvicorn.

The account settings (fees, renewal notices, payouts) are EmulatorConfig's (config.py); a bad
value stops it with one line naming the setting."""

from __future__ import annotations

import argparse
import logging
from decimal import Decimal

import uvicorn

from stripe_emulator import EmulatorConfig, create_app
from stripe_emulator.config import PAYOUT_SCHEDULES


def build_parser() -> argparse.ArgumentParser:
    """Every option, each an EmulatorConfig field (`donations emulator` takes the same)."""
    parser = argparse.ArgumentParser(prog="python -m stripe_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--public-url", help="base URL browsers use (default http://HOST:PORT)")
    parser.add_argument("--webhook-url", action="append", default=[], help="repeatable")
    parser.add_argument("--webhook-secret", action="append", default=[], help="one per URL")
    parser.add_argument("--delivery-delay", type=float, default=0.0)
    parser.add_argument("--retry-base-delay", type=float, default=0.5)
    parser.add_argument("--max-attempts", type=int, default=5)
    parser.add_argument("--delivery-concurrency", type=int, default=1)
    defaults = EmulatorConfig(public_url="")
    parser.add_argument("--fee-percent", type=_percent, default=defaults.fee_percent)
    parser.add_argument("--fee-fixed", type=int, default=defaults.fee_fixed, help="minor units")
    parser.add_argument(
        "--upcoming-renewal-days",
        type=int,
        default=defaults.upcoming_renewal_days,
        help="invoice.upcoming this many days before a renewal (0: none)",
    )
    parser.add_argument(
        "--payout-schedule", choices=PAYOUT_SCHEDULES, default=defaults.payout_schedule
    )
    parser.add_argument("--payout-delay-days", type=int, default=defaults.payout_delay_days)
    parser.add_argument("--payout-arrival-days", type=int, default=defaults.payout_arrival_days)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if len(args.webhook_url) != len(args.webhook_secret):
        parser.error("give one --webhook-secret for each --webhook-url")
    logging.basicConfig(level=logging.INFO)
    try:
        config = EmulatorConfig(
            public_url=args.public_url or f"http://{args.host}:{args.port}",
            webhook_endpoints=list(zip(args.webhook_url, args.webhook_secret, strict=True)),
            delivery_delay=args.delivery_delay,
            retry_base_delay=args.retry_base_delay,
            max_attempts=args.max_attempts,
            delivery_concurrency=args.delivery_concurrency,
            fee_percent=args.fee_percent,
            fee_fixed=args.fee_fixed,
            upcoming_renewal_days=args.upcoming_renewal_days,
            payout_schedule=args.payout_schedule,
            payout_delay_days=args.payout_delay_days,
            payout_arrival_days=args.payout_arrival_days,
        )
    except ValueError as error:
        parser.error(str(error))
    uvicorn.run(create_app(config), host=args.host, port=args.port)


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    return value


if __name__ == "__main__":
    main()
