"""Checkout Sessions through the real stripe client, paid as the hosted page would."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_emulator.support import Stack, donation_params, membership_params


def test_one_off_card_payment_sends_paid_session_and_payment_events(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    assert session.status == "open"
    assert session.url == f"{stack.base}/c/pay/{session.id}"
    assert session.amount_total == 1500

    result = stack.pay(session.id, email="reader@example.org", name="Ada Reader")
    stack.flush()

    assert result["outcome"] == "paid"
    assert result["redirect"] == (f"https://news.example/contribute/thanks?session_id={session.id}")
    hooks = stack.receiver
    assert hooks.types() == [
        "customer.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = hooks.one("checkout.session.completed")
    pi = hooks.one("payment_intent.succeeded")
    charge = hooks.one("charge.succeeded")
    customer = hooks.one("customer.created")
    assert completed["payment_status"] == "paid"
    assert completed["payment_intent"] == pi["id"]
    assert completed["customer"] == customer["id"]
    assert completed["customer_details"]["email"] == "reader@example.org"
    assert completed["metadata"] == {"checkout_id": "chk_1", "frequency": "one_off"}
    assert completed["client_reference_id"] == "chk_1"
    assert (pi["amount"], pi["amount_received"], pi["currency"]) == (1500, 1500, "eur")
    assert pi["metadata"] == {"checkout_id": "chk_1", "source": "article-footer"}
    assert pi["latest_charge"] == charge["id"]
    assert pi["customer"] == customer["id"]
    assert (charge["amount"], charge["status"], charge["paid"]) == (1500, "succeeded", True)


def test_session_without_customer_creation_completes_without_customer(
    stack: Stack, client: stripe.StripeClient
) -> None:
    params = donation_params()
    del params["customer_creation"]
    session = client.v1.checkout.sessions.create(params=params)
    stack.pay(session.id)
    stack.flush()
    assert stack.receiver.one("checkout.session.completed")["customer"] is None
    assert "customer.created" not in stack.receiver.types()


def test_declined_card_sends_only_payment_failed_and_session_stays_open(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    result = stack.pay(session.id, card="4000000000000002")
    stack.flush()

    assert result["outcome"] == "declined"
    assert result["error"] == "Your card was declined."
    assert stack.receiver.types() == ["payment_intent.payment_failed"]
    failed = stack.receiver.one("payment_intent.payment_failed")
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["decline_code"] == "generic_decline"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    # A second try on the same session reuses its PaymentIntent, as Checkout does.
    assert stack.pay(session.id)["outcome"] == "paid"
    stack.flush()
    assert stack.receiver.one("payment_intent.succeeded")["id"] == failed["id"]


def test_delayed_payment_completes_unpaid_then_succeeds_on_settle(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    result = stack.pay(session.id, card="DE89370400440532013000")
    stack.flush()

    assert result["outcome"] == "processing"
    assert stack.receiver.types() == ["customer.created", "checkout.session.completed"]
    completed = stack.receiver.one("checkout.session.completed")
    assert completed["payment_status"] == "unpaid"
    pi = client.v1.payment_intents.retrieve(completed["payment_intent"])
    assert pi.status == "processing"

    assert stack.control("/payments/settle")["settled"] == [pi.id]
    stack.flush()
    assert stack.receiver.types()[2:] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.async_payment_succeeded",
    ]
    succeeded = stack.receiver.one("checkout.session.async_payment_succeeded")
    assert succeeded["payment_status"] == "paid"
    assert stack.receiver.one("payment_intent.succeeded")["amount_received"] == 1500


def test_delayed_payment_settles_by_itself_when_the_clock_passes_three_days(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id, card="DE62370400440532013001")
    assert stack.advance(86400)["events"] == []
    events = stack.advance(2 * 86400)["events"]
    assert [e["type"] for e in events] == [
        "charge.failed",
        "payment_intent.payment_failed",
        "checkout.session.async_payment_failed",
    ]


def test_dispute_card_is_disputed_and_closing_won_reinstates_funds(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id, card="4000000000000259")
    stack.flush()
    hooks = stack.receiver
    assert hooks.types()[-2:] == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    dispute = hooks.one("charge.dispute.created")
    charge = hooks.one("charge.succeeded")
    assert dispute["status"] == "needs_response"
    assert (dispute["amount"], dispute["currency"]) == (1500, "eur")
    assert dispute["charge"] == charge["id"]
    assert dispute["payment_intent"] == charge["payment_intent"]

    closed = stack.control(f"/disputes/{charge['id']}/close", {"outcome": "won"})
    stack.flush()
    assert closed["status"] == "won"
    assert hooks.types()[-2:] == ["charge.dispute.closed", "charge.dispute.funds_reinstated"]
    assert hooks.one("charge.dispute.closed")["status"] == "won"


def test_dispute_closed_lost_sends_closed_only(stack: Stack, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id, card="4000000000000259")
    stack.flush()
    dispute = stack.receiver.one("charge.dispute.created")
    stack.control(f"/disputes/{dispute['id']}/close", {"outcome": "lost"})
    stack.flush()
    assert stack.receiver.types()[-1] == "charge.dispute.closed"
    assert stack.receiver.one("charge.dispute.closed")["status"] == "lost"


def test_expire_endpoint_sends_expired_and_refuses_a_second_time(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    stack.flush()
    assert expired.status == "expired"
    assert stack.receiver.one("checkout.session.expired")["id"] == session.id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.expire(session.id)
    assert raised.value.user_message == (
        "Only Checkout Sessions with a status of `open` can be expired."
    )


def test_session_expires_when_the_clock_passes_expires_at(
    stack: Stack, client: stripe.StripeClient
) -> None:
    now = stack.http.get(f"{stack.base}/_emulator/clock").json()["now"]
    # A margin over Stripe's 30-minute minimum: the clock may tick between the two calls.
    margin = 30
    expires_at = now + 1800 + margin
    session = client.v1.checkout.sessions.create(params=donation_params(expires_at=expires_at))
    assert stack.advance(1800)["events"] == []
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    events = stack.advance(margin)["events"]
    assert [e["type"] for e in events] == ["checkout.session.expired"]
    assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def test_line_items_of_a_session_list_the_price(stack: Stack, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [
        (i.description, i.amount_total, getattr(i.price, "unit_amount", None)) for i in items.data
    ] == [("Contribution", 1500, 1500)]


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            donation_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 49,
                            "product_data": {"name": "C"},
                        },
                    }
                ]
            ),
            "line_items[0][price_data][unit_amount]",
            "The Checkout Session's total amount due must add up to at least €0.50 eur",
        ),
        (
            donation_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "jpy",
                            "unit_amount": 49,
                            "product_data": {"name": "C"},
                        },
                    }
                ]
            ),
            "line_items[0][price_data][unit_amount]",
            "The Checkout Session's total amount due must add up to at least ¥50 jpy",
        ),
        (
            donation_params(
                line_items=[
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": 100_000_000,
                            "product_data": {"name": "C"},
                        },
                    }
                ]
            ),
            "line_items[0][price_data][unit_amount]",
            "This value must be less than or equal to 99999999 (it currently is '100000000').",
        ),
        (
            membership_params(customer_creation="always"),
            "customer_creation",
            "`customer_creation` can only be used in `payment` mode.",
        ),
        (
            {k: v for k, v in donation_params().items() if k != "success_url"},
            "success_url",
            "Missing required param: success_url.",
        ),
        (
            donation_params(expires_at=2_000_000_000_000),
            "expires_at",
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
        ),
        (
            donation_params(expires_at=1),
            "expires_at",
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
        ),
    ],
)
def test_session_rules_are_enforced_with_stripe_errors(
    client: stripe.StripeClient, params: dict[str, object], param: str, message: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert raised.value.http_status == 400
    assert raised.value.param == param
    assert raised.value.user_message == message


@pytest.mark.asyncio
async def test_async_client_creates_and_retrieves_sessions(
    async_client: stripe.StripeClient,
) -> None:
    created = await async_client.v1.checkout.sessions.create_async(
        params=membership_params(), options={"idempotency_key": "async-1"}
    )
    fetched = await async_client.v1.checkout.sessions.retrieve_async(created.id)
    assert (fetched.id, fetched.mode, fetched.amount_total) == (created.id, "subscription", 1000)
