"""Stripe events for real-world happenings, built from Stripe's documentation: for the ledger's
tests and for the benchmarks (both import this package; it imports only `stripe_emulator`'s
shapes and our metadata keys).

    domains     what Stripe can send in each field we read (its docs, as constants)
    objects     Stripe objects in the union of their API versions' shapes
    versions    render(event, version): an event in one API version's shape
    happenings  one_off_gift, membership_signup, refund, dispute ...: the events each sends
    scenarios   many supporters and happenings, as a seeded or hypothesis-drawn Scenario
    expected    expected_totals(scenario): the ledger's figures, worked out independently
"""

from __future__ import annotations

from stripe_events.expected import CurrencyTotals, Totals, expected_totals
from stripe_events.happenings import (
    FREQUENCY_OF_INTERVAL,
    START,
    UNKNOWN_EVENT_TYPE,
    Coupon,
    DisputeRecord,
    Gift,
    Happening,
    Membership,
    MembershipPayment,
    Paid,
    PayoutRecord,
    RefundRecord,
    cancellation,
    connected_account_gift,
    dispute,
    expired_checkout,
    failed_delayed_gift,
    failed_renewal,
    membership_renewal,
    membership_signup,
    one_off_gift,
    pause,
    payout,
    refund,
    resume,
    session_id,
    setup_session,
    standalone_invoice,
    unknown_event,
)
from stripe_events.objects import DAY, event, new_id
from stripe_events.scenarios import Scenario, build_scenario, random_scenario, scenarios

__all__ = [
    "DAY",
    "FREQUENCY_OF_INTERVAL",
    "START",
    "UNKNOWN_EVENT_TYPE",
    "Coupon",
    "CurrencyTotals",
    "DisputeRecord",
    "Gift",
    "Happening",
    "Membership",
    "MembershipPayment",
    "Paid",
    "PayoutRecord",
    "RefundRecord",
    "Scenario",
    "Totals",
    "build_scenario",
    "cancellation",
    "connected_account_gift",
    "dispute",
    "event",
    "expected_totals",
    "expired_checkout",
    "failed_delayed_gift",
    "failed_renewal",
    "membership_renewal",
    "membership_signup",
    "new_id",
    "one_off_gift",
    "pause",
    "payout",
    "random_scenario",
    "refund",
    "resume",
    "scenarios",
    "session_id",
    "setup_session",
    "standalone_invoice",
    "unknown_event",
]
