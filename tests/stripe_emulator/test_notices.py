"""invoice.upcoming: sent the configured number of days before a renewal, as Stripe sends it."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_emulator.billing import period_end
from tests.stripe_emulator.support import DAY, Stack, apart_from_balance, membership_params


def _membership(stack: Stack, client: stripe.StripeClient, **params: Any) -> dict[str, Any]:
    session = client.v1.checkout.sessions.create(params=membership_params(**params))
    stack.pay(session.id, email="member@example.org")
    stack.flush()
    return stack.receiver.one("customer.subscription.created")


def test_an_annual_member_is_told_seven_days_before_the_renewal(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client, interval="year", amount=12000)
    end = sub["items"]["data"][0]["current_period_end"]
    assert apart_from_balance(stack.advance_to(end - 7 * DAY - 1)["events"]) == []
    moved = apart_from_balance(stack.advance_to(end - 7 * DAY)["events"])
    assert [e["type"] for e in moved] == ["invoice.upcoming"]
    stack.flush()
    event = stack.receiver.events[-1]
    upcoming = event["data"]["object"]
    assert event["created"] == end - 7 * DAY
    assert "id" not in upcoming  # the invoice does not exist yet: Stripe sends no id
    assert (upcoming["amount_due"], upcoming["currency"], upcoming["status"]) == (
        12000,
        "eur",
        "draft",
    )
    assert (upcoming["billing_reason"], upcoming["next_payment_attempt"]) == ("upcoming", end)
    assert upcoming["customer"] == sub["customer"]
    assert upcoming["parent"]["subscription_details"] == {
        "metadata": {"checkout_id": "chk_2", "frequency": "monthly"},
        "subscription": sub["id"],
    }
    assert upcoming["lines"]["data"][0]["period"] == {
        "start": end,
        "end": period_end(sub["created"], {"interval": "year"}, 2),
    }
    # One notice per renewal, however the clock moves.
    stack.advance_to(end + 300 * DAY)
    stack.flush()
    assert len(stack.receiver.of_type("invoice.upcoming")) == 1
    stack.advance_to(period_end(sub["created"], {"interval": "year"}, 2))
    stack.flush()
    assert len(stack.receiver.of_type("invoice.upcoming")) == 2


def test_no_notice_for_a_membership_ending_at_the_period_end(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    client.v1.subscriptions.update(sub["id"], params={"cancel_at_period_end": True})
    stack.advance(40 * DAY)
    stack.flush()
    assert stack.receiver.of_type("invoice.upcoming") == []


@pytest.mark.parametrize("stack", [{"upcoming_renewal_days": 3}], indirect=True)
def test_the_notice_follows_the_configured_days(stack: Stack, client: stripe.StripeClient) -> None:
    sub = _membership(stack, client)
    end = sub["items"]["data"][0]["current_period_end"]
    moved = apart_from_balance(stack.advance_to(end - 3 * DAY)["events"])
    assert [e["type"] for e in moved] == ["invoice.upcoming"]


@pytest.mark.parametrize("stack", [{"upcoming_renewal_days": 0}], indirect=True)
def test_zero_days_sends_no_notice(stack: Stack, client: stripe.StripeClient) -> None:
    _membership(stack, client)
    stack.advance(40 * DAY)
    stack.flush()
    assert stack.receiver.of_type("invoice.upcoming") == []
    assert len(stack.receiver.of_type("invoice.paid")) == 2


def test_a_weekly_membership_is_too_short_for_a_seven_day_notice(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _membership(stack, client, interval="week")
    stack.advance(22 * DAY)
    stack.flush()
    assert stack.receiver.of_type("invoice.upcoming") == []
    assert len(stack.receiver.of_type("invoice.paid")) == 4
