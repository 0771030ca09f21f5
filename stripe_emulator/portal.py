"""Billing portal sessions: POST /v1/billing_portal/sessions, and what the portal page does.

A session's `url` opens the emulator's portal page for its customer, where a member can
cancel a membership now or at the end of the period (billing.py sends the events), then
follow `return_url` back. Sessions do not expire here (Stripe's last about five minutes).
"""

from __future__ import annotations

from stripe_emulator import shapes
from stripe_emulator.errors import invalid_param, missing_param
from stripe_emulator.state import Json, Store

CONFIGURATION = "bpc_1EmulatorDefaultPortalCfg"


def create(store: Store, params: Json) -> Json:
    if "customer" not in params:
        raise missing_param("customer")
    if "flow_data" in params:
        raise invalid_param("stripe_emulator does not emulate portal flows.", "flow_data")
    customer = store.get(params["customer"], "customer", param="customer")
    session_id = shapes.new_id("bps")
    return store.add(
        shapes.shape(
            "billing_portal.session",
            id=session_id,
            customer=customer["id"],
            configuration=params.get("configuration", CONFIGURATION),
            created=store.now(),
            flow=None,
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
