"""Checkout: what a reader may give, and the Checkout Session that takes it.

    rules      pure: validate a contribution (form or JSON), the Session's parameters,
               suggested amounts, the thanks line ("€5.00 every month")
    service    the row first (the funnel), then Stripe, then the row again; the thanks page's
               lookups and the billing portal link
    metadata   the keys we put on Stripe objects and read back from webhooks

The reader's pages and the JSON API are donations/web/contribute.py; the webhook handlers of
Checkout Sessions are webhooks/handlers/checkout_sessions.py.
"""
