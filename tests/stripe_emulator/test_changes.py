"""Changing a membership through the API: a new amount, monthly <-> annual, pausing and
resuming collection, cancelling at the period end with a reason."""

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


def _new_price(sub: dict[str, Any], amount: int, interval: str = "month") -> Any:
    item = sub["items"]["data"][0]
    return {
        "items": [
            {
                "id": item["id"],
                "price_data": {
                    "currency": "eur",
                    "product": item["price"]["product"],
                    "unit_amount": amount,
                    "recurring": {"interval": interval},
                },
            }
        ],
        "proration_behavior": "none",
    }


def _types_since(stack: Stack, count: int) -> list[str]:
    stack.flush()
    return apart_from_balance(stack.receiver.types()[count:])


def test_a_new_amount_is_charged_from_the_next_renewal_without_proration(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    end = sub["items"]["data"][0]["current_period_end"]
    first_invoice = client.v1.subscriptions.retrieve(sub["id"]).latest_invoice
    updated = client.v1.subscriptions.update(sub["id"], params=_new_price(sub, 1500))
    item = updated["items"].data[0]
    assert (item.price.unit_amount, item.current_period_end) == (1500, end)
    assert updated.latest_invoice == first_invoice
    assert _types_since(stack, seen) == ["customer.subscription.updated"]
    previous = stack.receiver.events[-1]["data"]["previous_attributes"]
    assert list(previous) == ["items"]
    assert previous["items"]["data"][0]["price"]["unit_amount"] == 1000

    stack.advance_to(end)
    assert _types_since(stack, seen + 1) == [
        "invoice.upcoming",
        "customer.subscription.updated",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice_payment.paid",
    ]
    assert stack.receiver.one("invoice.upcoming")["amount_due"] == 1500
    renewal = stack.receiver.of_type("invoice.paid")[-1]
    assert (renewal["amount_paid"], renewal["billing_reason"]) == (1500, "subscription_cycle")
    assert renewal["lines"]["data"][0]["description"] == "1 × Membership (at €15.00 / month)"


def test_switching_monthly_to_annual_bills_the_year_now_and_restarts_the_cycle(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    stack.advance(10 * DAY)
    now = stack.now()
    updated = client.v1.subscriptions.update(sub["id"], params=_new_price(sub, 10000, "year"))
    item = updated["items"].data[0]
    assert (item.price.recurring.interval, item.price.unit_amount) == ("year", 10000)  # type: ignore[union-attr]
    assert (updated.billing_cycle_anchor, item.current_period_start) == (now, now)
    assert item.current_period_end == period_end(now, {"interval": "year"}, 1)
    assert _types_since(stack, seen) == [
        "customer.subscription.updated",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice_payment.paid",
    ]
    previous = next(
        e for e in stack.receiver.events if e["type"] == "customer.subscription.updated"
    )["data"]["previous_attributes"]
    assert sorted(previous) == ["billing_cycle_anchor", "items", "latest_invoice"]
    assert previous["billing_cycle_anchor"] == sub["billing_cycle_anchor"]
    invoice = stack.receiver.of_type("invoice.paid")[-1]
    assert (invoice["billing_reason"], invoice["amount_paid"]) == ("subscription_update", 10000)
    assert invoice["id"] == updated.latest_invoice
    assert invoice["lines"]["data"][0]["period"] == {
        "start": now,
        "end": period_end(now, {"interval": "year"}, 1),
    }
    # The month that was paid for brings no renewal now.
    stack.advance(60 * DAY)
    assert len(stack.receiver.of_type("invoice.paid")) == 2


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (
            lambda p: p.pop("proration_behavior"),
            "proration_behavior",
            "stripe_emulator only emulates proration_behavior=none when a price or quantity "
            "changes.",
        ),
        (
            lambda p: p["items"][0]["price_data"].update(currency="usd"),
            "items[0][price_data][currency]",
            "The price specified supports currencies of `usd` which doesn't include the "
            "expected currency of `eur`.",
        ),
        (
            lambda p: p["items"][0]["price_data"].update(product="prod_missing"),
            "items[0][price_data][product]",
            "No such product: 'prod_missing'",
        ),
        (
            lambda p: p["items"][0].update(id="si_missing"),
            "items[0][id]",
            "No such subscription item: 'si_missing'",
        ),
        (
            lambda p: p.update(billing_cycle_anchor={"type": "now"}),
            "billing_cycle_anchor",
            "stripe_emulator does not emulate `billing_cycle_anchor` on subscription updates.",
        ),
    ],
)
def test_a_change_the_emulator_cannot_make_as_stripe_would_is_refused_by_name(
    stack: Stack, client: stripe.StripeClient, change: Any, param: str, message: str
) -> None:
    sub = _membership(stack, client)
    params = _new_price(sub, 1500)
    change(params)
    store = stack.app.state.emulator.store
    prices_before = len(store.by_type["price"])
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.update(sub["id"], params=params)
    assert (raised.value.param, raised.value.user_message) == (param, message)
    assert client.v1.subscriptions.retrieve(sub["id"])["items"].data[0].price.unit_amount == 1000
    assert len(store.by_type["price"]) == prices_before


@pytest.mark.parametrize(
    ("behavior", "status"),
    [("void", "void"), ("mark_uncollectible", "uncollectible"), ("keep_as_draft", "draft")],
)
def test_renewals_while_paused_are_invoiced_but_never_charged_until_collection_resumes(
    stack: Stack, client: stripe.StripeClient, behavior: str, status: str
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    end = sub["items"]["data"][0]["current_period_end"]
    resumes_at = end + 10 * DAY
    paused = client.v1.subscriptions.update(
        sub["id"], params={"pause_collection": {"behavior": behavior, "resumes_at": resumes_at}}
    )
    assert (paused.status, paused.pause_collection.to_dict()) == (  # type: ignore[union-attr]
        "active",
        {"behavior": behavior, "resumes_at": resumes_at},
    )
    stack.advance_to(end)
    assert _types_since(stack, seen) == [
        "customer.subscription.updated",
        "customer.subscription.updated",
    ]
    first, renewal = (e["data"] for e in apart_from_balance(stack.receiver.events[seen:]))
    assert first["previous_attributes"] == {"pause_collection": None}
    held = client.v1.invoices.retrieve(renewal["object"]["latest_invoice"])
    assert (held.status, held.amount_due, held.amount_paid) == (status, 1000, 0)

    stack.advance_to(resumes_at)
    stack.flush()
    resumed = apart_from_balance(stack.receiver.events)[-1]
    assert resumed["type"] == "customer.subscription.updated"
    assert resumed["data"]["object"]["pause_collection"] is None
    assert resumed["data"]["previous_attributes"] == {
        "pause_collection": {"behavior": behavior, "resumes_at": resumes_at}
    }
    stack.advance_to(period_end(sub["created"], {"interval": "month"}, 2))
    stack.flush()
    assert [i["billing_reason"] for i in stack.receiver.of_type("invoice.paid")] == [
        "subscription_create",
        "subscription_cycle",
    ]


def test_pause_without_a_date_lasts_until_it_is_cleared(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    client.v1.subscriptions.update(sub["id"], params={"pause_collection": {"behavior": "void"}})
    stack.advance(70 * DAY)
    stack.flush()
    assert len(stack.receiver.of_type("invoice.paid")) == 1
    assert stack.receiver.of_type("invoice.upcoming") == []
    cleared = client.v1.subscriptions.update(sub["id"], params={"pause_collection": ""})
    assert cleared.pause_collection is None
    stack.flush()
    assert stack.receiver.events[-1]["data"]["previous_attributes"] == {
        "pause_collection": {"behavior": "void", "resumes_at": None}
    }
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.update(
            sub["id"],
            params={"pause_collection": {"behavior": "void", "resumes_at": stack.now() - 1}},
        )
    assert raised.value.param == "pause_collection[resumes_at]"


def test_cancelling_at_the_period_end_with_a_reason_is_one_update(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    end = sub["items"]["data"][0]["current_period_end"]
    client.v1.subscriptions.update(
        sub["id"],
        params={
            "cancel_at_period_end": True,
            "cancellation_details": {"comment": "Moving abroad", "feedback": "too_expensive"},
        },
    )
    assert _types_since(stack, seen) == ["customer.subscription.updated"]
    event = stack.receiver.events[-1]["data"]
    assert event["object"]["cancellation_details"] == {
        "comment": "Moving abroad",
        "feedback": "too_expensive",
        "reason": "cancellation_requested",
    }
    assert (event["object"]["cancel_at_period_end"], event["object"]["cancel_at"]) == (True, end)
    assert event["previous_attributes"] == {
        "cancel_at_period_end": False,
        "cancel_at": None,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
    }
    stack.advance_to(end)
    stack.flush()
    deleted = stack.receiver.one("customer.subscription.deleted")
    assert deleted["cancellation_details"]["comment"] == "Moving abroad"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.update(sub["id"], params={"pause_collection": ""})
    assert raised.value.user_message == (
        "A canceled subscription can only update its cancellation_details and metadata."
    )


def test_cancelling_now_keeps_the_reason_given(stack: Stack, client: stripe.StripeClient) -> None:
    sub = _membership(stack, client)
    client.v1.subscriptions.cancel(
        sub["id"], params={"cancellation_details": {"comment": "Too many emails"}}
    )
    stack.flush()
    deleted = stack.receiver.one("customer.subscription.deleted")
    assert deleted["cancellation_details"] == {
        "comment": "Too many emails",
        "feedback": None,
        "reason": "cancellation_requested",
    }


def test_subscriptions_list_by_customer_leaves_out_canceled_ones(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    listed = client.v1.subscriptions.list(params={"customer": sub["customer"]})
    assert [s.id for s in listed.data] == [sub["id"]]
    client.v1.subscriptions.cancel(sub["id"])
    assert client.v1.subscriptions.list(params={"customer": sub["customer"]}).data == []
    every = client.v1.subscriptions.list(params={"customer": sub["customer"], "status": "all"})
    assert [(s.id, s.status) for s in every.data] == [(sub["id"], "canceled")]
    ended = client.v1.subscriptions.list(params={"status": "ended"})
    assert [s.id for s in ended.data] == [sub["id"]]
