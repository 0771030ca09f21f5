"""Webhook delivery: signatures the stripe library accepts, retries, run-time options."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from stripe_emulator.webhooks import sign
from tests.stripe_emulator.support import SECRET, Stack, donation_params, membership_params


def test_signature_is_accepted_by_the_stripe_library_and_rejects_tampering() -> None:
    payload = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "charge.succeeded",
            "data": {"object": {"id": "ch_1", "object": "charge"}},
        }
    )
    now = int(time.time())
    header = sign(payload, SECRET, now)
    assert header.startswith(f"t={now},v1=")
    assert stripe.WebhookSignature.verify_header(payload, header, SECRET, tolerance=300)
    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert event.type == "charge.succeeded"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace("ch_1", "ch_2"), header, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    expected = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=now)
    assert header == expected


def test_deliveries_are_signed_with_real_time_even_when_the_clock_is_far_ahead(
    stack: Stack, client: stripe.StripeClient
) -> None:
    stack.advance(90 * 86400)
    session = client.v1.checkout.sessions.create(params=donation_params())
    client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    assert stack.receiver.rejected == 0
    event = stack.receiver.events[0]
    assert event["created"] >= int(time.time()) + 90 * 86400 - 5
    assert event["api_version"] == "2026-10-28.endive"
    assert event["object"] == "event"
    assert event["livemode"] is False


def test_failed_attempts_are_retried_until_the_receiver_accepts(
    stack: Stack, client: stripe.StripeClient
) -> None:
    stack.receiver.fail_first = 2
    session = client.v1.checkout.sessions.create(params=donation_params())
    client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    assert stack.receiver.types() == ["checkout.session.expired"]
    attempts = stack.http.get(f"{stack.base}/_emulator/deliveries").json()["attempts"]
    assert [(a["type"], a["attempt"], a["status"]) for a in attempts] == [
        ("checkout.session.expired", 1, 500),
        ("checkout.session.expired", 2, 500),
        ("checkout.session.expired", 3, 200),
    ]
    # Back-off doubles: 0.01 s, then 0.02 s.
    assert attempts[2]["at"] - attempts[1]["at"] >= 0.02


def test_delivery_gives_up_after_max_attempts(stack: Stack, client: stripe.StripeClient) -> None:
    stack.receiver.fail_first = 99
    session = client.v1.checkout.sessions.create(params=donation_params())
    client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    attempts = stack.http.get(f"{stack.base}/_emulator/deliveries").json()["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3, 4]
    assert stack.receiver.events == []


def test_unreachable_endpoint_is_recorded_as_a_connection_error(
    stack: Stack, client: stripe.StripeClient
) -> None:
    stack.control("/webhook_endpoints", {"url": "http://127.0.0.1:9/hooks", "secret": SECRET})
    stack.control("/deliveries/options", {"max_attempts": 2})
    session = client.v1.checkout.sessions.create(params=donation_params())
    client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    attempts = stack.http.get(f"{stack.base}/_emulator/deliveries").json()["attempts"]
    dead = [a for a in attempts if a["url"] == "http://127.0.0.1:9/hooks"]
    assert [(a["attempt"], a["status"]) for a in dead] == [(1, None), (2, None)]
    assert dead[0]["error"].startswith("ConnectError")
    assert stack.receiver.types() == ["checkout.session.expired"]


def test_simulated_failures_and_duplicates_still_deliver_every_event(
    stack: Stack, client: stripe.StripeClient
) -> None:
    options = stack.control(
        "/deliveries/options",
        {
            "failure_rate": 0.5,
            "duplicate_rate": 0.5,
            "shuffle": True,
            "max_attempts": 20,
            "retry_base_delay": 0.001,
            "seed": 7,
            "concurrency": 4,
        },
    )
    assert (options["failure_rate"], options["shuffle"]) == (0.5, True)
    sessions = [client.v1.checkout.sessions.create(params=donation_params()) for _ in range(6)]
    for session in sessions:
        client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    received = [e["data"]["object"]["id"] for e in stack.receiver.events]
    assert set(received) == {s.id for s in sessions}
    attempts = stack.http.get(f"{stack.base}/_emulator/deliveries").json()["attempts"]
    assert any(a["error"] == "simulated network failure" for a in attempts)
    assert any(a["duplicate"] for a in attempts)
    assert len(received) == sum(1 for a in attempts if a["status"] == 200)


def test_delivery_delay_holds_events_until_flush(stack: Stack, client: stripe.StripeClient) -> None:
    stack.control("/deliveries/options", {"delivery_delay": 0.2})
    session = client.v1.checkout.sessions.create(params=donation_params())
    client.v1.checkout.sessions.expire(session.id)
    assert stack.receiver.events == []
    stack.flush()
    assert stack.receiver.types() == ["checkout.session.expired"]


def test_events_carry_previous_attributes_only_on_updates(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(session.id)
    sub = str(client.v1.checkout.sessions.retrieve(session.id).subscription)
    client.v1.subscriptions.update(sub, params={"metadata": {"note": "x"}})
    stack.flush()
    updated = [e for e in stack.receiver.events if e["type"] == "customer.subscription.updated"]
    assert updated[0]["data"]["previous_attributes"] == {
        "metadata": {"checkout_id": "chk_2", "frequency": "monthly"}
    }
    created = [e for e in stack.receiver.events if e["type"] == "customer.subscription.created"]
    assert "previous_attributes" not in created[0]["data"]
