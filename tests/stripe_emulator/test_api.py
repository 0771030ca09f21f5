"""The API edge: auth, idempotency, parameter checking, events listing, expand, shapes."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from importlib import resources
from typing import Any

import httpx
import pytest
import stripe

from tests.stripe_emulator.support import API_KEY, Stack, donation_params, membership_params

# Keys in fixtures3.json that the API version the emulator speaks has removed.
REMOVED_SINCE_FIXTURE = {"invoice": {"subscription"}}


def test_missing_or_live_key_is_stripes_401(stack: Stack) -> None:
    missing = stack.http.get(f"{stack.base}/v1/events")
    live = stack.http.get(
        f"{stack.base}/v1/events", headers={"Authorization": "Bearer sk_live_abcdefgh1234"}
    )
    assert missing.status_code == live.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert live.json()["error"]["message"] == "Invalid API Key provided: sk_live_********1234"
    http_client = stripe.HTTPXClient(allow_sync_methods=True)
    client = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": stack.base}, http_client=http_client
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.events.list()
    http_client.close()  # type: ignore[no-untyped-call]


def test_unknown_route_is_stripes_404(stack: Stack) -> None:
    response = stack.http.get(
        f"{stack.base}/v1/nothing", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/nothing)"
    )


def test_same_idempotency_key_and_params_replays_the_first_session(
    stack: Stack, client: stripe.StripeClient
) -> None:
    options: Any = {"idempotency_key": "checkout-42"}
    first = client.v1.checkout.sessions.create(params=donation_params(), options=options)
    second = client.v1.checkout.sessions.create(params=donation_params(), options=options)
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"  # type: ignore[union-attr]


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    options: Any = {"idempotency_key": "checkout-43"}
    client.v1.checkout.sessions.create(params=donation_params(), options=options)
    with pytest.raises(stripe.IdempotencyError) as raised:
        client.v1.checkout.sessions.create(
            params=donation_params(client_reference_id="other"), options=options
        )
    assert raised.value.http_status == 400
    assert "checkout-43" in str(raised.value.user_message)


def test_errors_after_execution_are_replayed_but_validation_errors_are_not(
    stack: Stack, client: stripe.StripeClient
) -> None:
    options: Any = {"idempotency_key": "refund-1"}
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.v1.refunds.create(params={"payment_intent": "pi_missing"}, options=options)
    assert raised.value.headers["Idempotent-Replayed"] == "true"  # type: ignore[index]
    bad: Any = {"payment_intent": "pi_x", "amount": "lots"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params=bad, options={"idempotency_key": "refund-2"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create(
            params={"payment_intent": "pi_x"}, options={"idempotency_key": "refund-2"}
        )
    assert raised.value.code == "resource_missing"


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        (
            lambda p: p["line_items"][0]["price_data"].update(unit_amont=1),
            "line_items[0][price_data][unit_amont]",
            "Received unknown parameter: line_items[0][price_data][unit_amont]",
        ),
        (
            lambda p: p["line_items"][0]["price_data"].update(unit_amount="15.00"),
            "line_items[0][price_data][unit_amount]",
            "Invalid integer: 15.00",
        ),
        (
            lambda p: p.update(payment_method_types=["card"]),
            "payment_method_types",
            "Received unknown parameter: payment_method_types",
        ),
        (
            lambda p: p.update(mode="donation"),
            "mode",
            "Invalid mode: must be one of payment, setup, subscription",
        ),
        (
            lambda p: p["line_items"][0]["price_data"].pop("currency"),
            "line_items[0][price_data][currency]",
            "Missing required param: line_items[0][price_data][currency].",
        ),
        (lambda p: p.update(metadata="x"), "metadata", "Invalid object"),
    ],
)
def test_unknown_or_mistyped_params_are_named_in_the_error(
    client: stripe.StripeClient, change: Any, param: str, message: str
) -> None:
    params = donation_params()
    change(params)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)
    assert (raised.value.http_status, raised.value.param) == (400, param)
    assert raised.value.user_message == message


def test_events_list_pages_newest_first_with_auto_paging_iter(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sessions = [client.v1.checkout.sessions.create(params=donation_params()) for _ in range(5)]
    for session in sessions:
        client.v1.checkout.sessions.expire(session.id)
    expired_ids = [s.id for s in reversed(sessions)]

    first = client.v1.events.list(params={"limit": 2, "type": "checkout.session.expired"})
    assert first.has_more is True
    assert [e.data.object.id for e in first.data] == expired_ids[:2]
    every = list(first.auto_paging_iter())
    assert [e.data.object.id for e in every] == expired_ids
    assert len({e.id for e in every}) == 5

    newest = every[0]
    older = client.v1.events.list(
        params={"types": ["checkout.session.expired"], "starting_after": newest.id, "limit": 100}
    )
    assert [e.id for e in older.data] == [e.id for e in every[1:]]
    assert older.has_more is False
    newer = client.v1.events.list(params={"ending_before": every[2].id, "limit": 1})
    assert [e.id for e in newer.data] == [every[1].id]
    assert client.v1.events.retrieve(newest.id).type == "checkout.session.expired"


@pytest.mark.asyncio
async def test_events_list_filters_by_created_range_async(
    stack: Stack, async_client: stripe.StripeClient
) -> None:
    client = async_client
    session = await client.v1.checkout.sessions.create_async(params=donation_params())
    await client.v1.checkout.sessions.expire_async(session.id)
    created = (await client.v1.events.list_async()).data[0].created
    stack.advance(3600)
    late = await client.v1.checkout.sessions.create_async(params=donation_params())
    await client.v1.checkout.sessions.expire_async(late.id)
    page = await client.v1.events.list_async(params={"created": {"gt": created}})
    found = [e async for e in page.auto_paging_iter()]
    before = await client.v1.events.list_async(params={"created": {"lte": created}})
    assert [e.data.object.id for e in found] == [late.id]
    assert [e.data.object.id for e in before.data] == [session.id]


def test_expand_latest_charge_balance_transaction_gives_the_fee(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id)
    pi_id = str(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    pi = client.v1.payment_intents.retrieve(
        pi_id, params={"expand": ["latest_charge.balance_transaction"]}
    )
    txn = pi.latest_charge.balance_transaction  # type: ignore[union-attr]
    # round(1500 * 1.5 / 100) + 25 = 22 + 25 (half to even, like Python's round)
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (1500, 47, 1453, "eur")  # type: ignore[union-attr]
    assert txn.fee_details[0].type == "stripe_fee"  # type: ignore[union-attr]
    plain = client.v1.payment_intents.retrieve(pi_id)
    assert isinstance(plain.latest_charge, str)


def test_fee_follows_the_configured_percent_and_fixed_part() -> None:
    from stripe_emulator.money import stripe_fee

    assert stripe_fee(1000, percent=Decimal("1.5"), fixed=25) == 40
    assert stripe_fee(1500, percent=Decimal("1.5"), fixed=25) == 47
    assert stripe_fee(500, percent=Decimal("2.9"), fixed=30) == 44


def test_every_object_type_returned_has_the_fixture_keys(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id, card="4000000000000259")
    membership = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(membership.id)
    stack.flush()
    pi_id = str(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    sub_id = str(client.v1.checkout.sessions.retrieve(membership.id).subscription)
    pi = client.v1.payment_intents.retrieve(pi_id)
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    refund_session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(refund_session.id)
    refund_pi = str(client.v1.checkout.sessions.retrieve(refund_session.id).payment_intent)
    invoice_id = str(client.v1.checkout.sessions.retrieve(membership.id).invoice)
    returned: list[Any] = [
        session,
        pi,
        charge,
        client.v1.balance_transactions.retrieve(str(charge.balance_transaction)),
        client.v1.customers.retrieve(str(pi.customer)),
        client.v1.invoices.retrieve(invoice_id),
        client.v1.invoice_payments.list(params={"invoice": invoice_id}).data[0],
        client.v1.subscriptions.retrieve(sub_id),
        client.v1.refunds.create(params={"payment_intent": refund_pi, "amount": 100}),
        client.v1.billing_portal.sessions.create(params={"customer": str(pi.customer)}),
        client.v1.checkout.sessions.line_items.list(session.id).data[0],
        *client.v1.events.list(params={"limit": 100}).auto_paging_iter(),
    ]
    returned += [e.data.object for e in returned if e.object == "event"]
    fixtures = json.loads(
        resources.files("stripe_emulator").joinpath("fixtures3.json").read_text()
    )["resources"]
    seen = set()
    for obj in returned:
        data = obj.to_dict()
        expected = set(fixtures[data["object"]]) - REMOVED_SINCE_FIXTURE.get(data["object"], set())
        assert expected <= set(data), (data["object"], expected - set(data))
        seen.add(data["object"])
    assert seen == {
        "balance_transaction",
        "billing_portal.session",
        "charge",
        "checkout.session",
        "customer",
        "dispute",
        "event",
        "invoice",
        "invoice_payment",
        "item",
        "payment_intent",
        "refund",
        "subscription",
    }


def test_raw_form_encoding_with_empty_brackets_is_understood(stack: Stack) -> None:
    body = (
        "mode=payment&success_url=https://x.example/ok&line_items[0][quantity]=1"
        "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=500"
        "&line_items[0][price_data][product_data][name]=Gift"
    )
    response = httpx.post(
        f"{stack.base}/v1/checkout/sessions",
        content=body,
        headers={
            "Authorization": f"Bearer {API_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 200, response.text
    session_id = response.json()["id"]
    fetched = httpx.get(
        f"{stack.base}/v1/checkout/sessions/{session_id}?expand[]=line_items", auth=(API_KEY, "")
    )
    assert fetched.status_code == 200
    assert [i["amount_total"] for i in fetched.json()["line_items"]["data"]] == [500]
    wrong = httpx.get(
        f"{stack.base}/v1/checkout/sessions/{session_id}?expand[]=nothing", auth=(API_KEY, "")
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == "This property cannot be expanded (nothing)."


def test_events_name_the_api_request_that_caused_them(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    expired = client.v1.checkout.sessions.expire(session.id, options={"idempotency_key": "exp-1"})
    stack.pay(client.v1.checkout.sessions.create(params=donation_params()).id)
    stack.flush()
    by_type = {e["type"]: e for e in stack.receiver.events}
    assert by_type["checkout.session.expired"]["request"] == {
        "id": expired.last_response.request_id,  # type: ignore[union-attr]
        "idempotency_key": "exp-1",
    }
    assert by_type["checkout.session.completed"]["request"] == {"id": None, "idempotency_key": None}


@pytest.mark.asyncio
async def test_concurrent_async_requests_each_get_their_own_session(
    async_client: stripe.StripeClient,
) -> None:
    sessions = await asyncio.gather(
        *(
            async_client.v1.checkout.sessions.create_async(params=donation_params())
            for _ in range(20)
        )
    )
    events = await async_client.v1.events.list_async(params={"limit": 100})
    assert len({s.id for s in sessions}) == 20
    assert events.data == []


def test_payouts_setup_intents_and_payment_methods_have_the_fixture_keys(
    stack: Stack, client: stripe.StripeClient
) -> None:
    midnight = stack.noon()
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id)
    setup = client.v1.checkout.sessions.create(
        params={"mode": "setup", "currency": "eur", "success_url": "https://x.example/ok"}
    )
    stack.pay(setup.id)
    stack.advance_to(midnight + 5 * 86400)
    intent = client.v1.setup_intents.retrieve(
        str(client.v1.checkout.sessions.retrieve(setup.id).setup_intent)
    )
    returned: list[Any] = [
        client.v1.payouts.list().data[0],
        intent,
        client.v1.payment_methods.retrieve(str(intent.payment_method)),
        client.v1.balance.retrieve(),
    ]
    fixtures = json.loads(
        resources.files("stripe_emulator").joinpath("fixtures3.json").read_text()
    )["resources"]
    for obj in returned:
        data = obj.to_dict()
        assert set(fixtures[data["object"]]) <= set(data), data["object"]
