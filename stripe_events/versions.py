"""The same event in each API version's shape.

Builders (stripe_events.objects) make every object in a union of its shapes: the fields of
the current version and the fields older versions carried (an invoice's top-level
`subscription` and `payment_intent` beside its `parent`, a PaymentIntent's `charges` list
beside `latest_charge`, a Charge's `refunds` list). `render(event, version)` keeps what that
version sends and drops the rest, the way Stripe renders an event in the API version of the
endpoint, or of the event's creation for the Events API (docs/stripe.md, "API versions").

    CURRENT                      the version the stripe package pins
    render(event, version) -> event in that version's shape (a copy)
    exists_in(event, version)    whether Stripe can send this event in that version
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stripe_emulator.shapes import clone
from stripe_events.domains import ADDED_IN, API_VERSIONS, ApiVersion

Json = dict[str, Any]

CURRENT: ApiVersion = API_VERSIONS[-1]
BY_NAME = {version.name: version for version in API_VERSIONS}
_INVOICE_PAYMENT_EVENTS_FROM = ADDED_IN["invoice_payment_paid_event"]
_ORDER = [version.name for version in API_VERSIONS]
ALREADY_RENDERED = "event {id} is rendered already: render the union event it came from"


# An event's private marker: the oldest version that can say what it says (an invoice paid
# by several PaymentIntents, or partly outside Stripe).
MIN_VERSION = "_min_version"


def exists_in(event: Json, version: ApiVersion) -> bool:
    """`invoice_payment.*` events came with invoice payments; older endpoints never see them,
    and read the invoice's own `payment_intent` instead."""
    oldest = event.get(MIN_VERSION)
    if event["type"].startswith("invoice_payment."):
        oldest = max(oldest or "", _INVOICE_PAYMENT_EVENTS_FROM, key=_rank)
    return oldest is None or _rank(version.name) >= _rank(oldest)


def _rank(name: str) -> int:
    return _ORDER.index(name) if name else -1


def render(event: Json, version: ApiVersion = CURRENT) -> Json:
    """`event` (unrendered: its objects still carry `_union`) in `version`'s shape."""
    rendered: Json = clone(event)
    rendered.pop(MIN_VERSION, None)
    obj = rendered["data"]["object"]
    if "_union" not in obj:
        raise ValueError(ALREADY_RENDERED.format(id=event["id"]))
    rendered["api_version"] = version.name
    _RENDER.get(obj.get("object"), _nothing)(obj, version)
    return rendered


def _nothing(obj: Json, version: ApiVersion) -> None:
    obj.pop("_union")


def _payment_intent(obj: Json, version: ApiVersion) -> None:
    union = obj.pop("_union", {})
    if version.payment_intent_has_charges_list:
        obj.pop("latest_charge", None)
        obj["charges"] = union.get("charges", _empty_list())
    if version.payment_intent_has_invoice:
        obj["invoice"] = union.get("invoice")


def _charge(obj: Json, version: ApiVersion) -> None:
    union = obj.pop("_union", {})
    if version.charge_has_refunds_list:
        obj["refunds"] = union.get("refunds", _empty_list())
    if version.invoice_top_level_payment_fields:
        obj["invoice"] = union.get("invoice")


def _invoice(obj: Json, version: ApiVersion) -> None:
    union = obj.pop("_union", {})
    if version.invoice_has_parent:
        return
    details = (obj.pop("parent", None) or {}).get("subscription_details") or {}
    obj["subscription"] = details.get("subscription")
    obj["subscription_details"] = {"metadata": details.get("metadata") or {}}
    obj["payment_intent"] = union.get("payment_intent")
    obj["charge"] = union.get("charge")
    obj["paid"] = obj.get("status") == "paid"
    obj["paid_out_of_band"] = union.get("paid_out_of_band", False)
    obj["discount"] = None
    obj.pop("payments", None)


def _subscription(obj: Json, version: ApiVersion) -> None:
    union = obj.pop("_union", {})
    if not version.subscription_top_level_period:
        obj.pop("discount", None)
        return
    items = obj["items"]["data"]
    obj["current_period_start"] = min(item.pop("current_period_start") for item in items)
    obj["current_period_end"] = max(item.pop("current_period_end") for item in items)
    discount = union.get("discount")
    obj["discount"] = None if discount is None else _discount_shape(clone(discount), version)


def _discount(obj: Json, version: ApiVersion) -> None:
    obj.pop("_union")
    _discount_shape(obj, version)


def _discount_shape(discount: Json, version: ApiVersion) -> Json:
    """A discount names its coupon by a whole object before clover, by id under `source`
    since (https://docs.stripe.com/changelog/clover/2025-09-30/discount-source-property)."""
    coupon = discount.pop("coupon_object", None) or {}
    if version.discount_has_coupon_object:
        discount["coupon"] = coupon
        discount.pop("source", None)
    else:
        discount["source"] = {"type": "coupon", "coupon": coupon.get("id")}
        discount.pop("coupon", None)
    return discount


def _empty_list() -> Json:
    return {"object": "list", "data": [], "has_more": False, "url": ""}


_RENDER: dict[str, Callable[[Json, ApiVersion], None]] = {
    "payment_intent": _payment_intent,
    "charge": _charge,
    "invoice": _invoice,
    "subscription": _subscription,
    "discount": _discount,
}
