"""shapes.py: Stripe's examples brought up to API 2026-10-28.endive."""

from __future__ import annotations

import re

import pytest
import stripe

from stripe_emulator.shapes import OBJECT_TYPES, event, new_id, shape


def test_shape_sets_fields_on_a_fresh_copy() -> None:
    first = shape("charge", id="ch_1", metadata={"a": "b"})
    first["metadata"]["a"] = "changed"
    first["refunds"]["data"].append({})
    second = shape("charge")
    assert second["metadata"] == {}
    assert second["refunds"]["data"] == []
    assert (first["id"], first["object"]) == ("ch_1", "charge")


def test_top_level_fields_are_replaced_not_merged() -> None:
    invoice = shape(
        "invoice",
        parent={
            "type": "quote_details",
            "quote_details": {"quote": "q"},
            "subscription_details": None,
        },
    )
    assert invoice["parent"]["subscription_details"] is None


def test_invoice_has_basil_shape() -> None:
    invoice = shape("invoice")
    for removed in ("subscription", "payment_intent", "charge", "paid"):
        assert removed not in invoice
    assert invoice["parent"]["type"] == "subscription_details"
    assert set(invoice["parent"]["subscription_details"]) == {"subscription", "metadata"}
    line = invoice["lines"]["data"][0]
    assert line["period"]["start"] < line["period"]["end"]
    assert line["parent"]["type"] == "subscription_item_details"


def test_subscription_period_lives_on_items() -> None:
    sub = shape("subscription")
    assert "current_period_end" not in sub and "current_period_start" not in sub
    item = sub["items"]["data"][0]
    assert item["current_period_start"] < item["current_period_end"]
    assert sub["cancel_at_period_end"] is False


def test_invoice_payment_names_invoice_and_payment_intent() -> None:
    payment = shape("invoice_payment")
    assert payment["payment"] == {
        "type": "payment_intent",
        "payment_intent": "pi_1PgafyB7WZ01zgkWSjxsAJo3",
        "charge": None,
    }
    assert payment["status_transitions"]["paid_at"] == payment["created"]
    assert (payment["currency"], payment["status"]) == ("usd", "paid")


def test_event_wraps_a_snapshot_and_parses_in_the_stripe_library() -> None:
    invoice = shape("invoice", id="in_1")
    evt = event("invoice.paid", invoice, created=1_767_225_600, id="evt_1")
    invoice["id"] = "in_changed"
    assert evt["data"] == {"object": {**invoice, "id": "in_1"}}
    assert (evt["object"], evt["api_version"], evt["type"]) == (
        "event",
        "2026-10-28.endive",
        "invoice.paid",
    )
    assert (evt["created"], evt["livemode"], evt["id"]) == (1_767_225_600, False, "evt_1")
    parsed = stripe.Event.construct_from(evt, "sk_test_x")
    assert isinstance(parsed.data.object, stripe.Invoice)


def test_event_has_previous_attributes_only_when_given() -> None:
    updated = event(
        "customer.subscription.updated",
        shape("subscription"),
        created=1,
        previous_attributes={"status": "active"},
    )
    assert updated["data"]["previous_attributes"] == {"status": "active"}
    assert "previous_attributes" not in event("x.y", {}, created=1)["data"]


@pytest.mark.parametrize(
    ("prefix", "pattern"),
    [
        ("pi", r"pi_[A-Za-z0-9]{24}"),
        ("evt_", r"evt_[A-Za-z0-9]{24}"),
        ("cs_test", r"cs_test_[A-Za-z0-9]{58}"),
    ],
)
def test_new_id_looks_like_stripe(prefix: str, pattern: str) -> None:
    assert re.fullmatch(pattern, new_id(prefix))
    assert new_id(prefix) != new_id(prefix)


def test_unknown_object_type_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no Stripe example for object type 'nope'"):
        shape("nope")


def test_fixture_file_holds_the_types_the_project_uses() -> None:
    assert {
        "checkout.session",
        "payment_intent",
        "charge",
        "invoice",
        "invoice_payment",
        "subscription",
        "refund",
        "dispute",
        "balance_transaction",
        "customer",
        "event",
        "billing_portal.session",
        "price",
        "line_item",
    } <= OBJECT_TYPES
