"""The ledger's tables, each module imported when one of its names is first asked for.

`from donations.models import Payment` imports donations/models/payments.py, and with it the
modules of the tables its foreign keys name (each model module imports those itself), so
whatever is loaded can be joined, flushed and created. A finance report thus maps the few
tables it reads, not all 26: mapping them all cost a `donations report` command ~0.1 s of
CPU, a sixth of its start-up (bench/PROFILE.md, "Sixth pass").

What needs every table on SQLModel.metadata (Alembic, the bench loader, tests that empty the
database) calls `load_all()` first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from donations.frequency import Frequency
from donations.models.base import utcnow

if TYPE_CHECKING:
    from donations.models.accounts import AccountChange, AccountSession, ChangeKind, SignInLink
    from donations.models.campaigns import Campaign
    from donations.models.checkouts import Checkout, CheckoutStatus
    from donations.models.discounts import Coupon, Discount
    from donations.models.events import EventStatus, StripeEvent
    from donations.models.links import StripeLink
    from donations.models.mail import MailStatus, OutboxMessage
    from donations.models.memberships import Interval, Membership, MembershipStatus
    from donations.models.offers import CampaignOffer
    from donations.models.payments import (
        ChargeCard,
        ChargeRefundTotal,
        Dispute,
        DisputeStatus,
        FeeStatus,
        Payment,
        PaymentKey,
        PaymentKind,
        Refund,
        RefundStatus,
    )
    from donations.models.payouts import BalanceTransaction, Payout, PayoutStatus
    from donations.models.reporting import ReportSnapshot
    from donations.models.staff import AuditLog, LoginThrottle, StaffUser
    from donations.models.supporters import StripeCustomer, Supporter

# Each name, by the module (donations/models/<module>.py) that defines it: the same names as
# the imports above, which are for the type checker (tests/donations/test_models.py checks).
MODULE_OF: dict[str, str] = {
    "AccountChange": "accounts",
    "AccountSession": "accounts",
    "ChangeKind": "accounts",
    "SignInLink": "accounts",
    "Campaign": "campaigns",
    "Checkout": "checkouts",
    "CheckoutStatus": "checkouts",
    "Coupon": "discounts",
    "Discount": "discounts",
    "EventStatus": "events",
    "StripeEvent": "events",
    "StripeLink": "links",
    "MailStatus": "mail",
    "OutboxMessage": "mail",
    "Interval": "memberships",
    "Membership": "memberships",
    "MembershipStatus": "memberships",
    "CampaignOffer": "offers",
    "ChargeCard": "payments",
    "ChargeRefundTotal": "payments",
    "Dispute": "payments",
    "DisputeStatus": "payments",
    "FeeStatus": "payments",
    "Payment": "payments",
    "PaymentKey": "payments",
    "PaymentKind": "payments",
    "Refund": "payments",
    "RefundStatus": "payments",
    "BalanceTransaction": "payouts",
    "Payout": "payouts",
    "PayoutStatus": "payouts",
    "ReportSnapshot": "reporting",
    "AuditLog": "staff",
    "LoginThrottle": "staff",
    "StaffUser": "staff",
    "StripeCustomer": "supporters",
    "Supporter": "supporters",
}


def __getattr__(name: str) -> Any:
    module = MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # asked once: the next lookup is an ordinary one
    return value


def load_all() -> None:
    """Import every table, registering them all on SQLModel.metadata."""
    for module in sorted(set(MODULE_OF.values())):
        importlib.import_module(f"{__name__}.{module}")


__all__ = [
    "AccountChange",
    "AccountSession",
    "AuditLog",
    "BalanceTransaction",
    "Campaign",
    "CampaignOffer",
    "ChangeKind",
    "ChargeCard",
    "ChargeRefundTotal",
    "Checkout",
    "CheckoutStatus",
    "Coupon",
    "Discount",
    "Dispute",
    "DisputeStatus",
    "EventStatus",
    "FeeStatus",
    "Frequency",
    "Interval",
    "LoginThrottle",
    "MailStatus",
    "Membership",
    "MembershipStatus",
    "OutboxMessage",
    "Payment",
    "PaymentKey",
    "PaymentKind",
    "Payout",
    "PayoutStatus",
    "Refund",
    "RefundStatus",
    "ReportSnapshot",
    "SignInLink",
    "StaffUser",
    "StripeCustomer",
    "StripeEvent",
    "StripeLink",
    "Supporter",
    "load_all",
    "utcnow",
]
