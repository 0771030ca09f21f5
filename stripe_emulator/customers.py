"""Customers and the PaymentMethods attached to them.

    create(store, email=, name=)     Checkout made one: customer.created
    update(store, id, params)        POST /v1/customers/{id}: customer.updated
    attach(store, pm_id, params)     POST /v1/payment_methods/{id}/attach: payment_method.attached
    payment_methods(store, id)       GET /v1/customers/{id}/payment_methods, newest first
    default_method(store, sub)       the PaymentMethod a renewal charges

Emulated update params: email, name, description, metadata and
invoice_settings.default_payment_method (a PaymentMethod attached to this customer); anything
else is refused by name. `previous_attributes` names only what changed, and only the changed
keys of `invoice_settings`.

Which PaymentMethod pays an invoice, as Stripe chooses
(https://docs.stripe.com/billing/subscriptions/payment-methods-setting): the subscription's
`default_payment_method`, else the customer's `invoice_settings.default_payment_method`.
Checkout sets the subscription's when the membership starts, so a new card must be set there
(or the subscription's cleared) for renewals to use it.
"""

from __future__ import annotations

import secrets
from typing import Any

from stripe_emulator import queries, shapes
from stripe_emulator.errors import StripeError, invalid_param
from stripe_emulator.state import Json, Store

NOT_EMULATED = "stripe_emulator does not emulate `{param}` on customer updates."
NOT_ATTACHED = (
    "The customer does not have a payment method with the ID {pm}. The payment method must be "
    "attached to the customer."
)
ATTACHED_ELSEWHERE = "The payment method you provided has already been attached to a customer."
_UPDATABLE = frozenset({"email", "name", "description", "metadata", "invoice_settings", "expand"})


def create(store: Store, *, email: str | None, name: str | None) -> Json:
    customer = store.add(
        shapes.shape(
            "customer",
            id=shapes.new_id("cus"),
            email=email,
            name=name,
            currency=None,
            invoice_prefix=secrets.token_hex(4).upper(),
            next_invoice_sequence=1,
            created=store.now(),
        )
    )
    store.emit("customer.created", customer)
    return customer


def update(store: Store, customer_id: str, params: Json) -> Json:
    customer = store.get(customer_id, "customer", param="customer")
    for param in params:
        if param not in _UPDATABLE:
            raise invalid_param(NOT_EMULATED.format(param=param), param)
    settings = params.get("invoice_settings", {})
    for key in settings:
        if key != "default_payment_method":
            param = f"invoice_settings[{key}]"
            raise invalid_param(NOT_EMULATED.format(param=param), param)
    if "default_payment_method" in settings:
        owned_method(
            store,
            customer,
            settings["default_payment_method"],
            param="invoice_settings[default_payment_method]",
        )
    previous: Json = {}
    for field in ("email", "name", "description"):
        if field in params and params[field] != customer[field]:
            previous[field] = customer[field]
            customer[field] = params[field] or None
    if "metadata" in params:
        merged = merge_metadata(customer["metadata"], params["metadata"])
        if merged != customer["metadata"]:
            previous["metadata"] = customer["metadata"]
            customer["metadata"] = merged
    method = settings.get("default_payment_method")
    current = customer["invoice_settings"]["default_payment_method"]
    if "default_payment_method" in settings and method != current:
        previous["invoice_settings"] = {"default_payment_method": current}
        customer["invoice_settings"]["default_payment_method"] = method
    if previous:
        store.emit("customer.updated", customer, previous)
    return customer


def attach(store: Store, pm_id: str, customer_id: str) -> Json:
    pm = store.get(pm_id, "payment_method", param="payment_method")
    customer = store.get(customer_id, "customer", param="customer")
    if pm["customer"] == customer["id"]:
        return pm
    if pm["customer"] is not None:
        raise StripeError(ATTACHED_ELSEWHERE, param="payment_method")
    pm["customer"] = customer["id"]
    store.emit("payment_method.attached", pm)
    return pm


def payment_methods(store: Store, customer_id: str) -> list[Json]:
    store.get(customer_id, "customer", param="customer")
    return queries.newest_first(store.find("payment_method", customer=customer_id))


def owned_method(store: Store, customer: Json, pm_id: str, *, param: str) -> Json:
    """The PaymentMethod `pm_id` if it is attached to `customer`; Stripe's error otherwise."""
    pm = store.get(pm_id, "payment_method", param=param)
    if pm["customer"] != customer["id"]:
        raise StripeError(NOT_ATTACHED.format(pm=pm_id), param=param)
    return pm


def default_method(store: Store, sub: Json) -> str | None:
    customer = store.get(sub["customer"], "customer")
    chosen = sub["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]
    return str(chosen) if chosen in store.methods else None


def merge_metadata(current: Json, update: Any) -> Json:
    # Stripe: metadata="" clears it; a key set to "" is removed, others are added or replaced.
    if update == "":
        return {}
    assert isinstance(update, dict)
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
