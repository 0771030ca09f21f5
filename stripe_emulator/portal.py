"""Billing portal sessions: POST /v1/billing_portal/sessions, and what the portal page does.

    create(store, params)                  a session; `flow_data` of type
                                           payment_method_update is emulated, others refused
    memberships(store, session_id)         -> (session, customer, subscriptions newest first)
    update_payment_method(store, session_id, method) -> where the page goes next

A session's `url` opens the emulator's portal page for its customer, where a member can
cancel a membership now or at the end of the period (changes.py, billing.py send the events)
or give a new card, then follow `return_url` back. Sessions do not expire here (Stripe's last
about five minutes).

A new card given in the portal becomes the customer's default for invoices and the default of
each of their memberships that has one, so the next renewal charges it: events
payment_method.attached, customer.updated, then customer.subscription.updated per membership.
After a payment_method_update flow the page follows `after_completion` (a `redirect` goes to
its return_url); otherwise it comes back to the portal.
"""

from __future__ import annotations

from stripe_emulator import changes, customers, payments, shapes
from stripe_emulator.cards import TestMethod
from stripe_emulator.errors import invalid_param, missing_param
from stripe_emulator.state import Json, Store

CONFIGURATION = "bpc_1EmulatorDefaultPortalCfg"
FLOW_NOT_EMULATED = "stripe_emulator only emulates portal flows of type payment_method_update."
_FLOW_PARTS = ("subscription_cancel", "subscription_pause", "subscription_update")


def create(store: Store, params: Json) -> Json:
    if "customer" not in params:
        raise missing_param("customer")
    flow = None if "flow_data" not in params else _flow(params["flow_data"])
    customer = store.get(params["customer"], "customer", param="customer")
    session_id = shapes.new_id("bps")
    return store.add(
        shapes.shape(
            "billing_portal.session",
            id=session_id,
            customer=customer["id"],
            configuration=params.get("configuration", CONFIGURATION),
            created=store.now(),
            flow=flow,
            livemode=False,
            locale=params.get("locale"),
            on_behalf_of=None,
            return_url=params.get("return_url"),
            url=f"{store.config.public_url}/p/session/{session_id}",
        )
    )


def memberships(store: Store, session_id: str) -> tuple[Json, Json, list[Json]]:
    """The portal session, its customer, and the customer's subscriptions, newest first."""
    session = store.get(session_id, "billing_portal.session")
    customer = store.get(session["customer"], "customer")
    subs = sorted(
        store.find("subscription", customer=customer["id"]),
        key=lambda s: s["created"],
        reverse=True,
    )
    return session, customer, subs


def update_payment_method(store: Store, session_id: str, method: TestMethod) -> str | None:
    """Save `method` as the customer's card for everything; the redirect the flow asks for."""
    session, customer, subs = memberships(store, session_id)
    billing = {"email": customer["email"], "name": customer["name"]}
    pm = payments.payment_method(store, method, None, billing)
    customers.attach(store, pm["id"], customer["id"])
    customers.update(
        store, customer["id"], {"invoice_settings": {"default_payment_method": pm["id"]}}
    )
    for sub in subs:
        if sub["status"] != "canceled" and sub["default_payment_method"] is not None:
            changes.update(store, sub["id"], {"default_payment_method": pm["id"]})
    flow = session["flow"]
    after = None if flow is None else flow["after_completion"]
    if after is not None and after["type"] == "redirect":
        return str(after["redirect"]["return_url"])
    return None


def _flow(data: Json) -> Json:
    if data["type"] != "payment_method_update":
        raise invalid_param(FLOW_NOT_EMULATED, "flow_data[type]")
    after = data.get("after_completion", {"type": "portal_homepage"})
    if after["type"] == "redirect" and "redirect" not in after:
        raise missing_param("flow_data[after_completion][redirect]")
    return {
        "type": "payment_method_update",
        "after_completion": {
            "type": after["type"],
            "hosted_confirmation": after.get("hosted_confirmation"),
            "redirect": after.get("redirect"),
        },
        "customer_update": None,
        "subscription_update_confirm": None,
        **dict.fromkeys(_FLOW_PARTS),
    }
