"""What Stripe can send in the fields our webhook handlers read, as plain constants.

Property tests draw from these to build events the way Stripe could send them, so every value
here comes from Stripe: its API reference and changelog (the URL beside each constant) or the
typed resources of the installed `stripe` package. Nothing is taken from this project's code or
fixtures, and this module imports neither `donations` nor `webhooks`: a test that generated
events from the code under test would only prove the code agrees with itself.

docs/stripe.md explains each domain in prose, with the traps. tests/stripe_events/test_domains.py checks the
constants against the installed `stripe` package, so an upgrade that adds a value fails there.

    currencies      PRESENTMENT_CURRENCIES, CURRENCY_EXPONENTS, ZERO_DECIMAL_CURRENCIES, ...
    disputes        DISPUTE_STATUSES, DISPUTE_STATUSES_FUNDS_WITHDRAWN, DISPUTE_STATUS_PATHS
    refunds         REFUND_STATUSES, REFUND_TRANSITIONS, REFUND_STATUS_PATHS
    subscriptions   SUBSCRIPTION_STATUSES, PAUSE_COLLECTION_BEHAVIORS, ...
    prices          PRICE_INTERVALS, PRICE_INTERVAL_MAX_COUNT
    discounts       COUPON_DURATIONS, COUPON_PERCENT_OFF_MAX, DISCOUNT_SHAPES
    checkout, invoices, payments, balance transactions: their status enums
    limits          METADATA_*, AMOUNT_MAX_*
    API versions    API_VERSIONS (breaking shape changes), ADDED_IN (additions)
    events          EVENT_OBJECTS (event type -> object it carries)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# --- Currencies ---------------------------------------------------------------------------
#
# https://docs.stripe.com/currencies: "Currencies are two-decimal currencies unless otherwise
# specified." Stripe renders its table of presentment currencies per account country and the
# page's markdown export leaves the table out, so this is the union of the per-country tables
# as published in 2026 (US list plus the Gulf and North African currencies offered to UAE
# accounts). The authority at run time is GET /v1/country_specs/{country}
# (`supported_payment_currencies`, https://docs.stripe.com/api/country_specs/object). A code
# missing here is still two-decimal by the rule above. `bgn` stays: Bulgaria's lev is still
# in older payments and Stripe listed it through 2026-08.
PRESENTMENT_CURRENCIES: Final = frozenset(
    {
        "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn",
        "bam", "bbd", "bdt", "bgn", "bhd", "bif", "bmd", "bnd", "bob", "brl",
        "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop",
        "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur",
        "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq", "gyd", "hkd",
        "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy",
        "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp",
        "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop",
        "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok",
        "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg",
        "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr", "sek", "sgd",
        "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top",
        "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu", "uzs", "vnd",
        "vuv", "wst", "xaf", "xcd", "xcg", "xof", "xpf", "yer", "zar", "zmw",
    }
)  # fmt: skip

# https://docs.stripe.com/currencies#zero-decimal, exactly as Stripe lists them. Stripe's own
# list contradicts itself on `ugx`: see TWO_DECIMAL_IN_THE_API.
ZERO_DECIMAL_LIST: Final = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip

# https://docs.stripe.com/currencies#special-cases: ISK and UGX "transitioned to a zero-decimal
# currency, but backward compatibility requires you to represent it as a two-decimal value,
# where the decimal amount is always 00" (5 UGX is `amount: 500`). Stripe's Android SDK keeps
# the same fact in code, as the currencies whose decimals differ from ISO data on "the Stripe
# backend" (SERVER_DECIMAL_DIGITS in stripe/stripe-android, stripe-ui-core/.../format/
# CurrencyFormatter.kt: UGX AFN ALL AMD COP IDR ISK PKR LBP MMK LAK RSD -> 2).
TWO_DECIMAL_IN_THE_API: Final = frozenset({"isk", "ugx"})

# Stripe amounts in these must be whole units: a multiple of 100 minor units (same section).
WHOLE_UNITS_ONLY: Final = frozenset({"isk", "ugx"})

# Same section: HUF and TWD are two-decimal for charges; only manual payouts must be whole
# units. Nothing a webhook carries is affected; listed so nobody "fixes" them to 0.
ZERO_DECIMAL_FOR_PAYOUTS_ONLY: Final = frozenset({"huf", "twd"})

# Three-decimal: "The API supports three-decimal currencies for the standard payment flows,
# including Payment Intents, Refunds, and Disputes ... these API calls require the
# least-significant (last) digit to be 0" (5.124 KWD is sent as 5120 or 5130). From Stripe's
# currencies page as archived at
# https://web.archive.org/web/20221231002856/https://stripe.com/docs/currencies; the 2026 page
# no longer has that section, yet offers these codes to UAE accounts and Stripe's Android SDK
# still uses ISO's 3 decimals for them (it only overrides the list above).
THREE_DECIMAL_CURRENCIES: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# Three-decimal amounts end in 0: a multiple of 10 minor units (same archived section).
THREE_DECIMAL_STEP: Final = 10

# The minor-unit exponent of every Stripe `amount` in that currency.
CURRENCY_EXPONENTS: Final[dict[str, int]] = {
    code: (
        3
        if code in THREE_DECIMAL_CURRENCIES
        else 0
        if code in ZERO_DECIMAL_LIST - TWO_DECIMAL_IN_THE_API
        else 2
    )
    for code in sorted(PRESENTMENT_CURRENCIES)
}

ZERO_DECIMAL_CURRENCIES: Final = frozenset(c for c, e in CURRENCY_EXPONENTS.items() if e == 0)

# --- Disputes -----------------------------------------------------------------------------

# https://docs.stripe.com/api/disputes/object#dispute_object-status (Dispute.status in
# stripe/_dispute.py). `prevented` since 2025-08-27.basil, `appeal_*` since 2026-10-28.endive.
DISPUTE_STATUSES: Final = frozenset(
    {
        "warning_needs_response",
        "warning_under_review",
        "warning_closed",
        "needs_response",
        "under_review",
        "won",
        "lost",
        "prevented",
        "appeal_needs_response",
        "appeal_under_review",
    }
)

# Inquiries: "Unlike a formal dispute, no funds have been withdrawn and the payment it relates
# to can still be refunded" (https://stripe.com/docs/disputes, "Inquiries and retrievals").
DISPUTE_INQUIRY_STATUSES: Final = frozenset(
    {"warning_needs_response", "warning_under_review", "warning_closed"}
)

# Chargebacks: "Debits the disputed amount, plus a dispute fee, from your Stripe account"
# (https://docs.stripe.com/disputes/how-disputes-work); the funds come back only when the
# dispute is won. An appeal is of a lost decision
# (https://docs.stripe.com/changelog/endive/2026-10-28/evidence-submission-appeal-dispute-decisions);
# Stripe documents no reinstatement when an appeal opens, so the funds stay withdrawn.
DISPUTE_STATUSES_FUNDS_WITHDRAWN: Final = frozenset(
    {"needs_response", "under_review", "lost", "appeal_needs_response", "appeal_under_review"}
)

# No money moves: inquiries, and `prevented`, which Stripe "can block or resolve ... before
# they're raised to formal chargebacks"
# (https://docs.stripe.com/changelog/basil/2025-08-27/add-preventions-to-dispute). `won`
# moved money twice (withdrawn, then reinstated) and holds none.
DISPUTE_STATUSES_NO_FUNDS_HELD: Final = DISPUTE_STATUSES - DISPUTE_STATUSES_FUNDS_WITHDRAWN

# Terminal as far as Stripe documents; an appeal reopens `lost`.
DISPUTE_FINAL_STATUSES: Final = frozenset({"warning_closed", "won", "lost", "prevented"})

# Dispute.balance_transactions: "List of zero, one, or two balance transactions that show
# funds withdrawn and reinstated to your Stripe account as a result of this dispute"
# (stripe/_dispute.py). Index 0 is the withdrawal (negative amount, the dispute fee in
# fee_details), index 1 the reinstatement.
DISPUTE_BALANCE_TRANSACTION_COUNTS: Final = (0, 1, 2)

# The status sequences one dispute id can go through, as Stripe describes them. Webhooks
# deliver any subset of these snapshots, in any order, any number of times.
# - inquiries: https://stripe.com/docs/disputes ("Inquiries and retrievals"); a full refund
#   or accepted evidence closes one, the issuer may escalate it to a chargeback. That the
#   escalated chargeback is the same dispute id moving on to `needs_response` is our reading;
#   Stripe's pages do not say it in so many words.
# - chargebacks: https://docs.stripe.com/disputes/how-disputes-work; closing (accepting) a
#   dispute moves it "from needs_response to lost" (Dispute.close in stripe/_dispute.py); a
#   withdrawn dispute "isn't necessarily a won dispute" (https://docs.stripe.com/disputes/withdrawing).
# - appeals: the endive changelog above; Stripe does not spell out the outcome statuses of an
#   appeal, `won` and `lost` are assumed.
# - prevented: the basil changelog above; Stripe documents no earlier status.
DISPUTE_STATUS_PATHS: Final = (
    ("warning_needs_response", "warning_closed"),
    ("warning_needs_response", "warning_under_review", "warning_closed"),
    ("warning_needs_response", "needs_response", "under_review", "won"),
    ("warning_needs_response", "warning_under_review", "needs_response", "under_review", "lost"),
    ("needs_response", "under_review", "won"),
    ("needs_response", "under_review", "lost"),
    ("needs_response", "lost"),
    ("needs_response", "won"),
    ("needs_response", "under_review", "lost", "appeal_needs_response", "appeal_under_review", "won"),
    ("needs_response", "under_review", "lost", "appeal_needs_response", "appeal_under_review", "lost"),
    ("needs_response", "lost", "appeal_needs_response", "lost"),
    ("prevented",),
)  # fmt: skip

# How many balance transactions a dispute in each status carries.
DISPUTE_BALANCE_TRANSACTIONS_BY_STATUS: Final[dict[str, int]] = {
    **dict.fromkeys(DISPUTE_INQUIRY_STATUSES | {"prevented"}, 0),
    **dict.fromkeys(DISPUTE_STATUSES_FUNDS_WITHDRAWN, 1),
    "won": 2,
}

# --- Refunds ------------------------------------------------------------------------------

# Refund.status docstring in stripe/_refund.py: "This can be `pending`, `requires_action`,
# `succeeded`, `failed`, or `canceled`" (https://docs.stripe.com/api/refunds/object).
REFUND_STATUSES: Final = frozenset(
    {"pending", "requires_action", "succeeded", "failed", "canceled"}
)

# Only a succeeded refund has returned money to the reader.
REFUND_STATUSES_MONEY_RETURNED: Final = frozenset({"succeeded"})

# A refund can be created in any of these (card refunds often succeed at once).
REFUND_INITIAL_STATUSES: Final = frozenset({"pending", "requires_action", "succeeded"})

# Stripe documents no state diagram; these are the moves its docs describe:
# - pending -> succeeded | failed | canceled ("For credit card refunds, this can be pending,
#   succeeded, or failed. For other types of refunds, it can be pending, succeeded, failed,
#   or canceled", Stripe's Terminal SDK reference for Refund.status);
# - succeeded -> failed: a bank can return a refund after it was paid out; Stripe then sets
#   `failed` and a `failure_balance_transaction` that "reverses the initial balance
#   transaction" (https://docs.stripe.com/refunds#failed-refunds, Refund in stripe/_refund.py);
# - requires_action -> pending | canceled: the customer must act (for example give bank
#   details) before the refund proceeds (https://docs.stripe.com/refunds); where it goes next
#   is our reading, Stripe lists the status without its exits.
REFUND_TRANSITIONS: Final = frozenset(
    {
        ("pending", "succeeded"),
        ("pending", "failed"),
        ("pending", "canceled"),
        ("succeeded", "failed"),
        ("requires_action", "pending"),
        ("requires_action", "canceled"),
    }
)

REFUND_STATUS_PATHS: Final = (
    ("succeeded",),
    ("pending", "succeeded"),
    ("pending", "failed"),
    ("pending", "canceled"),
    ("succeeded", "failed"),
    ("pending", "succeeded", "failed"),
    ("requires_action", "pending", "succeeded"),
    ("requires_action", "canceled"),
)

# --- Subscriptions ------------------------------------------------------------------------

# Subscription.status in stripe/_subscription.py
# (https://docs.stripe.com/api/subscriptions/object#subscription_object-status).
SUBSCRIPTION_STATUSES: Final = frozenset(
    {
        "incomplete",
        "incomplete_expired",
        "trialing",
        "active",
        "past_due",
        "canceled",
        "unpaid",
        "paused",
    }
)

# Same docstring: `incomplete_expired` "is a terminal status"; a canceled subscription stays
# canceled (https://docs.stripe.com/billing/subscriptions/cancel).
SUBSCRIPTION_TERMINAL_STATUSES: Final = frozenset({"canceled", "incomplete_expired"})

# Subscription.pause_collection.behavior. Pausing collection leaves `status` unchanged
# (https://docs.stripe.com/billing/subscriptions/pause-payment).
PAUSE_COLLECTION_BEHAVIORS: Final = frozenset({"keep_as_draft", "mark_uncollectible", "void"})

# Subscription.status_details.paused.subscription.type: why a subscription is `paused`
# (added with the pause endpoint in 2026-09-30.endive, https://docs.stripe.com/api/subscriptions/pause).
SUBSCRIPTION_PAUSED_REASONS: Final = frozenset(
    {
        "final_payment_failure",
        "first_payment_failure",
        "pause_requested",
        "system",
        "trial_end_without_payment_method",
    }
)

# Subscription.collection_method.
COLLECTION_METHODS: Final = frozenset({"charge_automatically", "send_invoice"})

# --- Prices -------------------------------------------------------------------------------

# Price.recurring.interval (https://docs.stripe.com/api/prices/object#price_object-recurring-interval).
PRICE_INTERVALS: Final = frozenset({"day", "week", "month", "year"})

# Price.recurring.interval_count: "Maximum of three years interval allowed (3 years, 36 months,
# or 156 weeks)" (https://docs.stripe.com/api/prices/create#create_price-recurring-interval_count).
# Stripe gives no figure for `day`; 1095 is three 365-day years, our inference.
PRICE_INTERVAL_MAX_COUNT: Final[dict[str, int]] = {"day": 1095, "week": 156, "month": 36, "year": 3}

# Price.type and Price.billing_scheme: `unit_amount` is null for `tiered` prices.
PRICE_TYPES: Final = frozenset({"one_time", "recurring"})
PRICE_BILLING_SCHEMES: Final = frozenset({"per_unit", "tiered"})

# --- Coupons and discounts ----------------------------------------------------------------

# Coupon.duration (https://docs.stripe.com/api/coupons/object#coupon_object-duration);
# `duration_in_months` is set only for `repeating`, and Discount.end only then.
COUPON_DURATIONS: Final = frozenset({"once", "repeating", "forever"})

# Coupon.percent_off: "A positive float larger than 0, and smaller or equal to 100"
# (https://docs.stripe.com/api/coupons/create#create_coupon-percent_off). A coupon has either
# `percent_off` or `amount_off` (integer minor units of `currency`, with `currency_options`
# for other currencies).
COUPON_PERCENT_OFF_MAX: Final = 100.0

# Discount.source.type (https://docs.stripe.com/api/discounts/object#discount_object-source).
DISCOUNT_SOURCE_TYPES: Final = frozenset({"coupon"})

# How a Discount names its coupon. Before 2025-09-30.clover: `coupon`, the whole Coupon object
# (auto-expanded). Since: `source: {"type": "coupon", "coupon": "<id>"}`, the id only, "including
# within event notifications"
# (https://docs.stripe.com/changelog/clover/2025-09-30/add-discount-source-property).
DISCOUNT_SHAPES: Final = ("coupon_object", "source_coupon_id")

# --- Checkout Sessions --------------------------------------------------------------------

# checkout.Session in stripe/checkout/_session.py
# (https://docs.stripe.com/api/checkout/sessions/object).
CHECKOUT_MODES: Final = frozenset({"payment", "setup", "subscription"})
CHECKOUT_STATUSES: Final = frozenset({"open", "complete", "expired"})
CHECKOUT_PAYMENT_STATUSES: Final = frozenset({"paid", "unpaid", "no_payment_required"})

# --- Invoices and invoice payments ---------------------------------------------------------

# Invoice in stripe/_invoice.py (https://docs.stripe.com/api/invoices/object).
INVOICE_STATUSES: Final = frozenset({"draft", "open", "paid", "uncollectible", "void"})
INVOICE_BILLING_REASONS: Final = frozenset(
    {
        "automatic_pending_invoice_item_invoice",
        "manual",
        "quote_accept",
        "subscription",
        "subscription_create",
        "subscription_cycle",
        "subscription_threshold",
        "subscription_update",
        "upcoming",
    }
)
# Invoice.parent.type, since 2025-03-31.basil.
INVOICE_PARENT_TYPES: Final = frozenset({"quote_details", "subscription_details"})

# InvoicePayment (https://docs.stripe.com/api/invoice-payment/object): status "one of `open`,
# `paid`, or `canceled`"; payment.type. There is no `out_of_band_payment` type: payments made
# outside Stripe are Payment Records (`payment_record`, since 2025-10-29.clover).
INVOICE_PAYMENT_STATUSES: Final = frozenset({"open", "paid", "canceled"})
INVOICE_PAYMENT_TYPES: Final = frozenset({"charge", "payment_intent", "payment_record"})

# --- Payments and balance transactions -----------------------------------------------------

# PaymentIntent.status and Charge.status (stripe/_payment_intent.py, stripe/_charge.py).
PAYMENT_INTENT_STATUSES: Final = frozenset(
    {
        "canceled",
        "processing",
        "requires_action",
        "requires_capture",
        "requires_confirmation",
        "requires_payment_method",
        "succeeded",
    }
)
CHARGE_STATUSES: Final = frozenset({"failed", "pending", "succeeded"})

# BalanceTransaction.status: "either `available` or `pending`"; its `currency`, `fee` and `net`
# are in the settlement currency, which can differ from the charge's (`exchange_rate` set)
# (https://docs.stripe.com/api/balance_transactions/object).
BALANCE_TRANSACTION_STATUSES: Final = frozenset({"available", "pending"})

# --- Limits -------------------------------------------------------------------------------

# https://docs.stripe.com/api/metadata: "up to 50 keys, with key names up to 40 characters long
# and values up to 500 characters long".
METADATA_MAX_KEYS: Final = 50
METADATA_KEY_MAX_LENGTH: Final = 40
METADATA_VALUE_MAX_LENGTH: Final = 500

# https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts: 8 digits for non-card
# payments in most currencies, up to 12 digits for card payments (and IDR); the PaymentIntent
# reference still says "up to eight digits". One charge fits 32 bits only below 8 digits; sums
# and campaign targets need 64.
AMOUNT_MAX_EIGHT_DIGITS: Final = 99_999_999
AMOUNT_MAX_TWELVE_DIGITS: Final = 999_999_999_999
INT32_MAX: Final = 2**31 - 1

# --- API versions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiVersion:
    """The shape of the objects we read, as rendered in one API version.

    A field is True when payloads rendered in this version carry it. Only breaking changes
    (a field removed or moved) are flags: Stripe renders each event in the API version of the
    endpoint, or, through the Events API, in the version the event was created in
    (Event.list in stripe/_event.py), so old shapes keep arriving.
    """

    name: str
    # PaymentIntent.charges list; replaced by latest_charge
    # (https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent).
    payment_intent_has_charges_list: bool
    # Charge.refunds auto-expanded; since 2022-11-15 absent unless expanded, and webhooks do
    # not expand (https://docs.stripe.com/changelog/2022-11-15/deprecates-charges-auto-expand).
    charge_has_refunds_list: bool
    # A payment-mode Checkout Session gets its PaymentIntent when created; since 2022-08-01 only
    # when confirmed (https://docs.stripe.com/changelog/2022-08-01/deferred-paymentintent-checkout-session).
    checkout_payment_intent_at_creation: bool
    # Invoice.subscription, subscription_details at top level; since basil under
    # parent.subscription_details
    # (https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects).
    invoice_top_level_subscription: bool
    invoice_has_parent: bool
    # Invoice.payment_intent, charge, paid, paid_out_of_band; Charge.invoice and
    # PaymentIntent.invoice. Since basil: invoice payments
    # (https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices).
    invoice_top_level_payment_fields: bool
    payment_intent_has_invoice: bool
    # Subscription.current_period_start/end; since basil on each subscription item
    # (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
    subscription_top_level_period: bool
    subscription_period_on_items: bool
    # Subscription.discount and Invoice.discount (one Discount object); since basil only
    # `discounts`, a list of ids
    # (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-singular-coupon-promotion-code).
    subscription_has_discount: bool
    # Discount.coupon object, or Discount.source.coupon id (DISCOUNT_SHAPES).
    discount_has_coupon_object: bool


def _version(
    name: str,
    *,
    before_2022_11_15: bool,
    before_2022_08_01: bool,
    before_basil: bool,
    before_clover: bool,
) -> ApiVersion:
    return ApiVersion(
        name=name,
        payment_intent_has_charges_list=before_2022_11_15,
        charge_has_refunds_list=before_2022_11_15,
        checkout_payment_intent_at_creation=before_2022_08_01,
        invoice_top_level_subscription=before_basil,
        invoice_has_parent=not before_basil,
        invoice_top_level_payment_fields=before_basil,
        payment_intent_has_invoice=before_basil,
        subscription_top_level_period=before_basil,
        subscription_period_on_items=not before_basil,
        subscription_has_discount=before_basil,
        discount_has_coupon_object=before_clover,
    )


# Every version from 2022 on that begins a release or whose changelog touches a field we read,
# oldest first, with the last version before 2022 as the baseline. A version not listed renders
# the shapes of the row before it (https://docs.stripe.com/changelog). Only 2022-08-01,
# 2022-11-15, 2025-03-31.basil and 2025-09-30.clover change a shape we read; the other rows
# bring additions (ADDED_IN) or nothing we read (2023-10-16, 2024-04-10, 2024-06-20,
# 2024-09-30.acacia, 2026-03-25.dahlia, 2026-09-30.endive), and are here because events in
# those versions arrive and generators should try them.
API_VERSIONS: Final = (
    _version("2020-08-27", before_2022_11_15=True, before_2022_08_01=True, before_basil=True, before_clover=True),
    _version("2022-08-01", before_2022_11_15=True, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2022-11-15", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2023-08-16", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2023-10-16", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2024-04-10", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2024-06-20", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2024-09-30.acacia", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2024-10-28.acacia", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2025-01-27.acacia", before_2022_11_15=False, before_2022_08_01=False, before_basil=True, before_clover=True),
    _version("2025-03-31.basil", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=True),
    _version("2025-05-28.basil", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=True),
    _version("2025-08-27.basil", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=True),
    _version("2025-09-30.clover", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
    _version("2025-10-29.clover", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
    _version("2026-03-25.dahlia", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
    _version("2026-05-27.dahlia", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
    _version("2026-09-30.endive", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
    _version("2026-10-28.endive", before_2022_11_15=False, before_2022_08_01=False, before_basil=False, before_clover=False),
)  # fmt: skip

# Additions: the first version whose changelog has them. Stripe does not say whether events
# rendered in older versions can carry them, so a generator should not rule that out.
ADDED_IN: Final[dict[str, str]] = {
    # https://docs.stripe.com/changelog/2023-08-16/no-cost-orders-checkout-session
    "checkout_payment_mode_zero_amount": "2023-08-16",
    # https://docs.stripe.com/changelog/acacia/2024-10-28/refund-webhook-update
    "refund_events_for_all_refunds": "2024-10-28.acacia",
    # https://docs.stripe.com/changelog/acacia/2025-01-27/checkout-sessions-discounts-field
    "checkout_session_discounts": "2025-01-27.acacia",
    # https://docs.stripe.com/changelog/basil/2025-05-28/partial-payments
    "invoice_payment_paid_event": "2025-05-28.basil",
    # https://docs.stripe.com/changelog/basil/2025-08-27/add-preventions-to-dispute
    "dispute_status_prevented": "2025-08-27.basil",
    # payment.type `payment_record` (stripe-python CHANGELOG 13.1.0, 2025-10-29.clover)
    "invoice_payment_type_payment_record": "2025-10-29.clover",
    # https://docs.stripe.com/changelog/dahlia/2026-05-27/invoice-object-amount-paid-off-stripe-property
    # "The property isn't available in event payloads or Sigma": only through the API, with
    # expand[]=amount_paid_off_stripe.
    "invoice_amount_paid_off_stripe_api_only": "2026-05-27.dahlia",
    # https://docs.stripe.com/changelog/endive/2026-09-30/pause-subscription: `status: paused`
    # on request, with status_details.paused (flexible billing mode only).
    "subscription_pause_endpoint": "2026-09-30.endive",
    # https://docs.stripe.com/changelog/endive/2026-10-28/evidence-submission-appeal-dispute-decisions
    "dispute_status_appeal": "2026-10-28.endive",
}

# --- Events -------------------------------------------------------------------------------

# The snapshot event types our handlers read and the object in `data.object`
# (https://docs.stripe.com/api/events/types). `account` on any event names the connected
# account it comes from (Event.account, https://docs.stripe.com/api/events/object).
EVENT_OBJECTS: Final[dict[str, str]] = {
    "checkout.session.completed": "checkout.session",
    "checkout.session.async_payment_succeeded": "checkout.session",
    "checkout.session.async_payment_failed": "checkout.session",
    "checkout.session.expired": "checkout.session",
    "payment_intent.succeeded": "payment_intent",
    "payment_intent.payment_failed": "payment_intent",
    "invoice.paid": "invoice",
    "invoice.payment_failed": "invoice",
    "invoice_payment.paid": "invoice_payment",
    "customer.subscription.created": "subscription",
    "customer.subscription.updated": "subscription",
    "customer.subscription.deleted": "subscription",
    "customer.subscription.paused": "subscription",
    "customer.subscription.resumed": "subscription",
    "charge.refunded": "charge",
    "charge.refund.updated": "refund",
    "refund.created": "refund",
    "refund.updated": "refund",
    "refund.failed": "refund",
    "charge.dispute.created": "dispute",
    "charge.dispute.updated": "dispute",
    "charge.dispute.closed": "dispute",
    "charge.dispute.funds_withdrawn": "dispute",
    "charge.dispute.funds_reinstated": "dispute",
}
