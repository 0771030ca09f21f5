"""Links into Stripe's Dashboard, for staff to see a payment, invoice, subscription or
customer there. Test-mode objects live under /test/: a test key, or the bundled emulator
(whose objects are test-mode ones)."""

from __future__ import annotations

from donations.settings import Settings

DASHBOARD = "https://dashboard.stripe.com/"


def dashboard_base(settings: Settings) -> str:
    return DASHBOARD if settings.stripe_livemode else DASHBOARD + "test/"


def payment_url(
    base: str, *, payment_intent: str | None, charge: str | None, invoice: str | None
) -> str | None:
    """A payment's page: its PaymentIntent (or charge: the Dashboard shows both under
    /payments/), else the invoice of a membership payment whose intent is not known yet."""
    if payment_intent:
        return f"{base}payments/{payment_intent}"
    if charge:
        return f"{base}payments/{charge}"
    if invoice:
        return f"{base}invoices/{invoice}"
    return None


def subscription_url(base: str, subscription: str) -> str:
    return f"{base}subscriptions/{subscription}"


def customer_url(base: str, customer: str) -> str:
    return f"{base}customers/{customer}"
