"""A local, stateful stand-in for the part of Stripe's API this project uses.

    create_app(EmulatorConfig(public_url=..., webhook_endpoints=[(url, whsec)])) -> Starlette
    python -m stripe_emulator --port 12111 --webhook-url URL --webhook-secret whsec_...

Point the stripe library at it with
`stripe.StripeClient(key, base_addresses={"api": public_url}, http_client=stripe.HTTPXClient())`.

Modules, one idea each:
    app.py        create_app, the Emulator (store + clock + deliverer)
    config.py     EmulatorConfig (fees, renewal notices, payout schedule), DeliveryOptions
    api.py        /v1 routes: auth, idempotency, params check, expand
    forms.py      Stripe's nested form encoding -> dicts
    params.py     requests checked against the stripe package's TypedDicts
    errors.py     Stripe's error format and messages
    state.py      the in-memory store, event log, timers and private bookkeeping
    clock.py      emulator time (real time + offset)
    shapes.py     Stripe-shaped objects and events from fixtures3.json
    checkout.py   Checkout Sessions (payment, subscription, setup mode)
    prices.py     line items, prices, products       setup.py     SetupIntents
    customers.py  customers, attached PaymentMethods  billing.py   subscriptions, renewals
    changes.py    subscription updates: price, interval, pause, card, cancellation
    invoices.py   invoices, invoice payments          notices.py   invoice.upcoming
    payments.py   PaymentIntents, charges, PaymentMethods
    balance.py    BalanceTransactions, when money is available, the Balance
    payouts.py    daily payouts, their events, failures and cancellations
    refunds.py, disputes.py, portal.py (billing portal, payment-method flow)
    scheduler.py  renewals, notices, expiry, settlement, payouts as the clock advances
    queries.py    list paging and filters, expand    webhooks.py  signed delivery with retries
    control.py    /_emulator routes       pages.py + templates/  hosted checkout and portal
    cards.py      the test card numbers   money.py     currency rules and formatting

Everything it sends and accepts is in Stripe's current shapes (API 2026-10-28.endive);
what it does not emulate it refuses by name rather than ignore.
"""

from stripe_emulator.app import Emulator, create_app
from stripe_emulator.config import DeliveryOptions, EmulatorConfig

__all__ = ["DeliveryOptions", "Emulator", "EmulatorConfig", "create_app"]
