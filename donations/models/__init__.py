"""The ledger's tables. Importing this module registers them all on SQLModel.metadata."""

from __future__ import annotations

from donations.frequency import Frequency
from donations.models.base import utcnow
from donations.models.campaigns import Campaign
from donations.models.checkouts import Checkout, CheckoutStatus
from donations.models.discounts import Coupon, Discount
from donations.models.events import EventStatus, StripeEvent
from donations.models.links import StripeLink
from donations.models.memberships import Interval, Membership, MembershipStatus
from donations.models.payments import (
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

__all__ = [
    "AuditLog",
    "BalanceTransaction",
    "Campaign",
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
    "Membership",
    "MembershipStatus",
    "Payment",
    "PaymentKey",
    "PaymentKind",
    "Payout",
    "PayoutStatus",
    "Refund",
    "RefundStatus",
    "ReportSnapshot",
    "StaffUser",
    "StripeCustomer",
    "StripeEvent",
    "StripeLink",
    "Supporter",
    "utcnow",
]
