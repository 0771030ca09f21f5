"""The ledger's tables. Importing this module registers them all on SQLModel.metadata."""

from __future__ import annotations

from donations.frequency import Frequency
from donations.models.accounts import AccountChange, AccountSession, ChangeKind, SignInLink
from donations.models.base import utcnow
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
    "utcnow",
]
