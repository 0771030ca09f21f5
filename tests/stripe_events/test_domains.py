"""The Stripe domains our property tests draw from agree with the installed `stripe` package.

The package is generated from Stripe's API specification: its Literal types and docstrings are
Stripe's own list of values. An upgrade that adds a status, an interval or an event type, or
pins a newer API version, fails here until stripe_events/domains.py (and
docs/stripe.md) say what the new value means.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import typing
from collections.abc import Iterable

import pytest
import stripe
import stripe.params
from stripe.checkout import Session as CheckoutSession

from stripe_events import domains

# (resource class, field, the domain that must equal its Literal values)
LITERAL_FIELDS: list[tuple[type, str, frozenset[str]]] = [
    (stripe.Dispute, "status", domains.DISPUTE_STATUSES),
    (stripe.Subscription, "status", domains.SUBSCRIPTION_STATUSES),
    (stripe.Subscription, "collection_method", domains.COLLECTION_METHODS),
    (stripe.Subscription.PauseCollection, "behavior", domains.PAUSE_COLLECTION_BEHAVIORS),
    (
        stripe.Subscription.StatusDetails.Paused.Subscription,
        "type",
        domains.SUBSCRIPTION_PAUSED_REASONS,
    ),
    (stripe.Price.Recurring, "interval", domains.PRICE_INTERVALS),
    (stripe.Price, "type", domains.PRICE_TYPES),
    (stripe.Price, "billing_scheme", domains.PRICE_BILLING_SCHEMES),
    (stripe.Coupon, "duration", domains.COUPON_DURATIONS),
    (stripe.Discount.Source, "type", domains.DISCOUNT_SOURCE_TYPES),
    (CheckoutSession, "mode", domains.CHECKOUT_MODES),
    (CheckoutSession, "status", domains.CHECKOUT_STATUSES),
    (CheckoutSession, "payment_status", domains.CHECKOUT_PAYMENT_STATUSES),
    (stripe.Invoice, "status", domains.INVOICE_STATUSES),
    (stripe.Invoice, "billing_reason", domains.INVOICE_BILLING_REASONS),
    (stripe.Invoice.Parent, "type", domains.INVOICE_PARENT_TYPES),
    (stripe.InvoicePayment.Payment, "type", domains.INVOICE_PAYMENT_TYPES),
    (stripe.PaymentIntent, "status", domains.PAYMENT_INTENT_STATUSES),
    (stripe.Charge, "status", domains.CHARGE_STATUSES),
]

# Fields typed `str` whose values Stripe lists only in the field's docstring.
DOCSTRING_FIELDS: list[tuple[type, str, frozenset[str]]] = [
    (stripe.Refund, "status", domains.REFUND_STATUSES),
    (stripe.InvoicePayment, "status", domains.INVOICE_PAYMENT_STATUSES),
    (stripe.BalanceTransaction, "status", domains.BALANCE_TRANSACTION_STATUSES),
]


def literal_values(annotation: object) -> frozenset[str]:
    """Every Literal string inside an annotation such as `Optional[Union[Literal[...], str]]`."""
    if typing.get_origin(annotation) is typing.Literal:
        return frozenset(str(value) for value in typing.get_args(annotation))
    found: frozenset[str] = frozenset()
    for argument in typing.get_args(annotation):
        found |= literal_values(argument)
    return found


def field_docstring(resource: type, field: str) -> str:
    """The string literal Stripe's generator writes under a field's annotation."""
    body = ast.parse(inspect.getsource(resource)).body[0]
    assert isinstance(body, ast.ClassDef)
    statements = body.body
    for position, statement in enumerate(statements[:-1]):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == field
        ):
            following = statements[position + 1]
            assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
            return str(following.value.value)
    raise AssertionError(f"{resource.__name__}.{field} has no docstring")


def annotated_fields(resource: type) -> frozenset[str]:
    return frozenset(resource.__annotations__)


def label(case: tuple[type, str, frozenset[str]]) -> str:
    return f"{case[0].__qualname__}.{case[1]}"


@pytest.mark.parametrize("case", LITERAL_FIELDS, ids=label)
def test_domain_equals_the_stripe_packages_literal_values(
    case: tuple[type, str, frozenset[str]],
) -> None:
    resource, field, domain = case
    assert literal_values(resource.__annotations__[field]) == domain


@pytest.mark.parametrize("case", DOCSTRING_FIELDS, ids=label)
def test_domain_equals_the_values_the_stripe_packages_docstring_lists(
    case: tuple[type, str, frozenset[str]],
) -> None:
    resource, field, domain = case
    assert frozenset(re.findall(r"`([a-z_]+)`", field_docstring(resource, field))) == domain


def test_every_event_type_we_read_is_one_stripe_sends() -> None:
    sent = literal_values(stripe.Event.__annotations__["type"])
    assert sorted(set(domains.EVENT_OBJECTS) - sent) == []


def test_the_newest_api_version_in_the_table_is_the_one_the_stripe_package_pins() -> None:
    assert domains.API_VERSIONS[-1].name == stripe.api_version


def test_the_newest_row_matches_the_fields_of_the_installed_resources() -> None:
    newest = domains.API_VERSIONS[-1]
    invoice = annotated_fields(stripe.Invoice)
    assert newest.invoice_top_level_subscription == ("subscription" in invoice)
    assert newest.invoice_has_parent == ("parent" in invoice)
    assert newest.invoice_top_level_payment_fields == bool(
        {"payment_intent", "charge", "paid", "paid_out_of_band"} & invoice
    )
    payment_intent = annotated_fields(stripe.PaymentIntent)
    assert newest.payment_intent_has_charges_list == ("charges" in payment_intent)
    assert newest.payment_intent_has_invoice == ("invoice" in payment_intent)
    assert newest.payment_intent_has_invoice == ("invoice" in annotated_fields(stripe.Charge))
    subscription = annotated_fields(stripe.Subscription)
    assert newest.subscription_top_level_period == ("current_period_end" in subscription)
    assert newest.subscription_period_on_items == (
        "current_period_end" in annotated_fields(stripe.SubscriptionItem)
    )
    assert newest.subscription_has_discount == ("discount" in subscription)
    assert newest.discount_has_coupon_object == ("coupon" in annotated_fields(stripe.Discount))


def test_versions_are_listed_oldest_first_without_repeats() -> None:
    names = [version.name for version in domains.API_VERSIONS]
    dates = [name.split(".")[0] for name in names]
    assert dates == sorted(dates)
    assert len(set(names)) == len(names)


def changes(values: Iterable[bool]) -> int:
    flags = list(values)
    return sum(1 for before, after in itertools.pairwise(flags) if before != after)


@pytest.mark.parametrize(
    "flag",
    [
        name
        for name, kind in domains.ApiVersion.__annotations__.items()
        if name != "name" and kind == "bool"
    ],
)
def test_a_shape_stripe_changed_never_changes_back_in_a_later_version(flag: str) -> None:
    assert changes(getattr(version, flag) for version in domains.API_VERSIONS) == 1


def test_every_addition_names_a_version_in_the_table() -> None:
    names = {version.name for version in domains.API_VERSIONS}
    assert sorted(set(domains.ADDED_IN.values()) - names) == []


def test_exponents_follow_stripes_currency_rules() -> None:
    exponents = domains.CURRENCY_EXPONENTS
    assert set(exponents) == domains.PRESENTMENT_CURRENCIES
    assert {code for code, e in exponents.items() if e == 3} == domains.THREE_DECIMAL_CURRENCIES
    assert sorted(domains.ZERO_DECIMAL_CURRENCIES) == [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "vnd", "vuv", "xaf", "xof", "xpf",
    ]  # fmt: skip
    # The special cases: two-decimal in API amounts whatever ISO or the payout rules say.
    assert [exponents[code] for code in ("isk", "ugx", "huf", "twd", "eur", "idr")] == [2] * 6
    assert all(re.fullmatch("[a-z]{3}", code) for code in exponents)


def test_every_dispute_status_is_on_a_documented_path_and_paths_use_only_known_statuses() -> None:
    on_paths = {status for path in domains.DISPUTE_STATUS_PATHS for status in path}
    assert on_paths == domains.DISPUTE_STATUSES
    assert set(domains.DISPUTE_BALANCE_TRANSACTIONS_BY_STATUS) == domains.DISPUTE_STATUSES
    assert {path[-1] for path in domains.DISPUTE_STATUS_PATHS} <= domains.DISPUTE_FINAL_STATUSES


def test_refund_paths_start_where_refunds_start_and_move_only_as_stripe_describes() -> None:
    for path in domains.REFUND_STATUS_PATHS:
        assert path[0] in domains.REFUND_INITIAL_STATUSES
        assert set(itertools.pairwise(path)) <= domains.REFUND_TRANSITIONS
    on_paths = {status for path in domains.REFUND_STATUS_PATHS for status in path}
    assert on_paths == domains.REFUND_STATUSES


def test_interval_maxima_are_the_ones_the_stripe_package_documents() -> None:
    doc = field_docstring(stripe.params.PriceCreateParamsRecurring, "interval_count")
    found = re.search(r"\((\d+) years, (\d+) months, or (\d+) weeks\)", doc)
    assert found is not None
    years, months, weeks = (int(group) for group in found.groups())
    maxima = domains.PRICE_INTERVAL_MAX_COUNT
    assert (maxima["year"], maxima["month"], maxima["week"]) == (years, months, weeks)
    assert set(maxima) == domains.PRICE_INTERVALS
