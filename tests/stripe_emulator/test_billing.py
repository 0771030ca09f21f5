"""Memberships: subscription checkout, renewals as the clock advances, cancellations."""

from __future__ import annotations

import datetime

import pytest
import stripe

from stripe_emulator.billing import period_end
from tests.stripe_emulator.support import Stack, apart_from_balance, membership_params

DAY = 86400


def _ts(year: int, month: int, day: int) -> int:
    return int(datetime.datetime(year, month, day, tzinfo=datetime.UTC).timestamp())


def _start_membership(
    stack: Stack, client: stripe.StripeClient, card: str = "4242424242424242", **params: object
) -> dict[str, object]:
    session = client.v1.checkout.sessions.create(params=membership_params(**params))  # type: ignore[arg-type]
    result = stack.pay(session.id, card=card, email="member@example.org")
    stack.flush()
    return result  # type: ignore[no-any-return]


def test_membership_checkout_sends_subscription_invoice_and_payment_events(
    stack: Stack, client: stripe.StripeClient
) -> None:
    result = _start_membership(stack, client)
    hooks = stack.receiver
    assert result["outcome"] == "paid"
    assert hooks.types() == [
        "customer.created",
        "customer.subscription.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice_payment.paid",
        "checkout.session.completed",
    ]
    sub = hooks.one("customer.subscription.created")
    invoice = hooks.one("invoice.paid")
    payment = hooks.one("invoice_payment.paid")
    pi = hooks.one("payment_intent.succeeded")
    charge = hooks.one("charge.succeeded")
    completed = hooks.one("checkout.session.completed")
    item = sub["items"]["data"][0]

    assert (sub["status"], sub["metadata"]) == (
        "active",
        {"checkout_id": "chk_2", "frequency": "monthly"},
    )
    assert (item["price"]["unit_amount"], item["price"]["recurring"]["interval"]) == (1000, "month")
    assert "current_period_end" not in sub
    assert item["current_period_end"] == period_end(sub["created"], {"interval": "month"}, 1)

    assert (invoice["amount_paid"], invoice["currency"], invoice["status"]) == (1000, "eur", "paid")
    assert invoice["billing_reason"] == "subscription_create"
    assert invoice["parent"]["subscription_details"] == {
        "metadata": {"checkout_id": "chk_2", "frequency": "monthly"},
        "subscription": sub["id"],
    }
    assert invoice["lines"]["data"][0]["period"] == {
        "start": item["current_period_start"],
        "end": item["current_period_end"],
    }
    assert invoice["status_transitions"]["paid_at"] == invoice["created"]
    for removed in ("subscription", "payment_intent", "charge", "paid"):
        assert removed not in invoice

    assert (payment["invoice"], payment["amount_paid"], payment["currency"]) == (
        invoice["id"],
        1000,
        "eur",
    )
    assert payment["payment"] == {
        "type": "payment_intent",
        "payment_intent": pi["id"],
        "charge": None,
    }
    assert payment["status_transitions"]["paid_at"] == invoice["status_transitions"]["paid_at"]
    assert (pi["metadata"], pi["latest_charge"], pi["amount"]) == ({}, charge["id"], 1000)

    assert completed["mode"] == "subscription"
    assert (completed["subscription"], completed["invoice"]) == (sub["id"], invoice["id"])
    assert completed["customer"] == sub["customer"]
    assert completed["payment_intent"] is None
    # The PaymentIntent is reachable from the invoice only through its InvoicePayments.
    listed = client.v1.invoice_payments.list(params={"invoice": invoice["id"]})
    expanded = client.v1.invoices.retrieve(invoice["id"], params={"expand": ["payments"]})
    assert [p.payment.payment_intent for p in expanded.payments.data] == [pi["id"]]  # type: ignore[union-attr]
    assert [p.payment.payment_intent for p in listed.data] == [pi["id"]]


def test_advancing_past_three_period_ends_renews_three_times(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client)
    sub = stack.receiver.one("customer.subscription.created")
    first_end = sub["items"]["data"][0]["current_period_end"]
    stack.advance(first_end - sub["created"] + 62 * DAY)
    stack.flush()

    renewals = [
        i
        for i in stack.receiver.of_type("invoice.paid")
        if i["billing_reason"] == "subscription_cycle"
    ]
    ends = [period_end(sub["created"], {"interval": "month"}, n) for n in (1, 2, 3, 4)]
    assert [i["created"] for i in renewals] == ends[:3]
    assert [i["lines"]["data"][0]["period"] for i in renewals] == [
        {"start": ends[0], "end": ends[1]},
        {"start": ends[1], "end": ends[2]},
        {"start": ends[2], "end": ends[3]},
    ]
    assert [i["amount_paid"] for i in renewals] == [1000, 1000, 1000]
    updated = stack.receiver.of_type("customer.subscription.updated")
    assert [u["items"]["data"][0]["current_period_end"] for u in updated] == ends[1:]
    assert len(stack.receiver.of_type("invoice_payment.paid")) == 4
    assert len(stack.receiver.of_type("payment_intent.succeeded")) == 4
    current = client.v1.subscriptions.retrieve(sub["id"])
    assert current["items"].data[0].current_period_end == ends[3]


def test_annual_membership_renews_after_a_year_not_a_month(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client, interval="year", amount=12000)
    sub = stack.receiver.one("customer.subscription.created")
    assert apart_from_balance(stack.advance(200 * DAY)["events"]) == []
    events = apart_from_balance(stack.advance(170 * DAY)["events"])
    assert [e["type"] for e in events] == [
        "invoice.upcoming",
        "customer.subscription.updated",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice_payment.paid",
    ]
    assert sub["items"]["data"][0]["current_period_end"] == period_end(
        sub["created"], {"interval": "year"}, 1
    )
    stack.flush()
    renewed = stack.receiver.one("customer.subscription.updated")
    assert renewed["items"]["data"][0]["current_period_end"] == period_end(
        sub["created"], {"interval": "year"}, 2
    )


def test_renewal_declined_card_makes_membership_past_due(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client, card="4000000000000341")
    sub = stack.receiver.one("customer.subscription.created")
    assert stack.receiver.one("invoice.paid")["billing_reason"] == "subscription_create"
    stack.advance(32 * DAY)
    stack.flush()
    types = apart_from_balance(stack.receiver.types()[7:])
    assert types == [
        "invoice.upcoming",
        "customer.subscription.updated",
        "payment_intent.payment_failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    failed = stack.receiver.one("invoice.payment_failed")
    assert (failed["attempt_count"], failed["amount_paid"], failed["status"]) == (1, 0, "open")
    assert failed["billing_reason"] == "subscription_cycle"
    assert failed["next_payment_attempt"] == failed["created"] + 3 * DAY
    past_due = stack.receiver.of_type("customer.subscription.updated")[-1]
    assert past_due["status"] == "past_due"
    assert stack.receiver.events[-1]["data"]["previous_attributes"] == {"status": "active"}
    assert client.v1.subscriptions.retrieve(sub["id"]).status == "past_due"


def test_declined_first_payment_creates_no_membership(
    stack: Stack, client: stripe.StripeClient
) -> None:
    result = _start_membership(stack, client, card="4000000000000002")
    assert result["outcome"] == "declined"
    assert stack.receiver.types() == ["payment_intent.payment_failed"]


def test_delayed_first_payment_pays_the_invoice_and_the_session_on_settle(
    stack: Stack, client: stripe.StripeClient
) -> None:
    result = _start_membership(stack, client, card="DE89370400440532013000")
    assert result["outcome"] == "processing"
    assert stack.receiver.types() == [
        "customer.created",
        "customer.subscription.created",
        "checkout.session.completed",
    ]
    assert stack.receiver.one("checkout.session.completed")["payment_status"] == "unpaid"
    stack.advance(3 * DAY)
    stack.flush()
    assert stack.receiver.types()[3:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice_payment.paid",
        "checkout.session.async_payment_succeeded",
    ]
    paid = stack.receiver.one("checkout.session.async_payment_succeeded")
    assert paid["payment_status"] == "paid"
    assert paid["invoice"] == stack.receiver.one("invoice.paid")["id"]


def test_cancel_at_period_end_then_deleted_when_the_period_ends(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client)
    sub = stack.receiver.one("customer.subscription.created")
    end = sub["items"]["data"][0]["current_period_end"]
    updated = client.v1.subscriptions.update(sub["id"], params={"cancel_at_period_end": True})
    assert (updated.cancel_at_period_end, updated.cancel_at, updated.status) == (
        True,
        end,
        "active",
    )
    stack.advance(end - sub["created"])
    stack.flush()
    assert apart_from_balance(stack.receiver.types())[-2:] == [
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    update_event = apart_from_balance(stack.receiver.events)[-2]["data"]
    assert update_event["object"]["cancel_at_period_end"] is True
    assert update_event["previous_attributes"]["cancel_at_period_end"] is False
    deleted = stack.receiver.one("customer.subscription.deleted")
    assert (deleted["status"], deleted["ended_at"]) == ("canceled", end)
    assert len(stack.receiver.of_type("invoice.paid")) == 1


def test_cancel_now_sends_deleted_and_a_second_cancel_is_an_error(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client)
    sub = stack.receiver.one("customer.subscription.created")
    canceled = client.v1.subscriptions.cancel(sub["id"])
    stack.flush()
    assert canceled.status == "canceled"
    assert canceled.ended_at == canceled.canceled_at
    deleted = stack.receiver.one("customer.subscription.deleted")
    assert (deleted["status"], deleted["ended_at"]) == ("canceled", canceled.ended_at)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.cancel(sub["id"])
    assert raised.value.user_message == "This subscription has already been canceled."
    assert apart_from_balance(stack.advance(40 * DAY)["events"]) == []


def test_portal_session_points_at_the_emulator_portal(
    stack: Stack, client: stripe.StripeClient
) -> None:
    _start_membership(stack, client)
    customer = stack.receiver.one("customer.subscription.created")["customer"]
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": "https://news.example/account"}
    )
    assert portal.url == f"{stack.base}/p/session/{portal.id}"
    assert (portal.customer, portal.return_url) == (customer, "https://news.example/account")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.billing_portal.sessions.create(params={"customer": "cus_missing"})
    assert raised.value.http_status == 404
    assert raised.value.param == "customer"


@pytest.mark.parametrize(
    ("anchor", "interval", "periods", "expected"),
    [
        (_ts(2026, 1, 31), "month", 1, _ts(2026, 2, 28)),
        (_ts(2026, 1, 31), "month", 2, _ts(2026, 3, 31)),
        (_ts(2028, 1, 31), "month", 1, _ts(2028, 2, 29)),
        (_ts(2026, 11, 15), "month", 2, _ts(2027, 1, 15)),
        (_ts(2028, 2, 29), "year", 1, _ts(2029, 2, 28)),
        (_ts(2026, 1, 1), "week", 2, _ts(2026, 1, 15)),
    ],
)
def test_period_ends_follow_the_calendar_from_the_anchor(
    anchor: int, interval: str, periods: int, expected: int
) -> None:
    assert period_end(anchor, {"interval": interval}, periods) == expected
