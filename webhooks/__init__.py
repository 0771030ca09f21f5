"""Stripe webhook intake: verify, store once, process into the ledger.

endpoint.py      POST /webhooks/stripe: size limit, signature, JSON; answers Stripe
verification.py  verify(body, header, secret) -> (Event, payload), or Refused(reason)
events.py        Event: the parts of a Stripe event the ledger reads
inbox.py         receive(db, event, payload, livemode=), receive_dict(db, body) (the same
                 in-process: benchmarks, backfill), reprocess(db, event_id) (replay):
                 the `stripe_event` inbox, one transaction per event, retries
registry.py      @handles("type"): one handler per event type; KNOWN_EVENT_TYPES
handlers/        the handlers, one module per object family (rules in its docstring)
bookings.py      payments: book one, link it to its PaymentIntent/charge, match waiting
                 refunds and disputes
memberships.py   a membership row per subscription, its state applied newest-first
links.py         `stripe_link`: an invoice's PaymentIntent and a PaymentIntent's charge,
                 recorded as their events arrive, looked up by key

The generic SQL helpers every writer uses (INSERT ... ON CONFLICT DO NOTHING on both
databases, fill-if-NULL, the newer-state condition) are donations/sql.py.
"""
