"""POST /_emulator/clock/start: a clock that starts in the past, only on a new emulator."""

from __future__ import annotations

import time

import stripe

from tests.stripe_emulator.support import Stack

YEAR = 365 * 86400


def test_the_clock_starts_in_the_past_only_before_anything_happened(
    stack: Stack, client: stripe.StripeClient
) -> None:
    real = int(time.time())
    future = stack.http.post(f"{stack.base}/_emulator/clock/start", json={"at": real + 3600})
    assert future.status_code == 400
    started = stack.control("/clock/start", {"at": real - YEAR})
    assert real - YEAR <= started["now"] <= real - YEAR + 5
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://127.0.0.1/thanks",
            "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 500,
                            "product_data": {"name": "Gift"}}}],
        }
    )  # fmt: skip
    assert real - YEAR <= session.created <= real - YEAR + 5
    # Something happened: the clock now only moves forward.
    again = stack.http.post(f"{stack.base}/_emulator/clock/start", json={"at": real - 2 * YEAR})
    assert again.status_code == 400
    assert "before anything happened" in again.json()["error"]["message"]
