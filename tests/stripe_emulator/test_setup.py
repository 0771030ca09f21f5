"""A new card for a membership: setup-mode Checkout, the saved PaymentMethod made the default,
the portal's payment-method flow, and the card's brand and last four on what is charged."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from tests.stripe_emulator.support import (
    Stack,
    apart_from_balance,
    donation_params,
    membership_params,
)


def _membership(
    stack: Stack, client: stripe.StripeClient, card: str = "4242424242424242"
) -> dict[str, Any]:
    session = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(session.id, card=card, email="member@example.org")
    stack.flush()
    return stack.receiver.one("customer.subscription.created")


def _setup_params(**overrides: Any) -> Any:
    params: dict[str, Any] = {
        "mode": "setup",
        "currency": "eur",
        "success_url": "https://news.example/account?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://news.example/account",
    }
    params.update(overrides)
    return params


def _save_card(
    stack: Stack, client: stripe.StripeClient, customer: str | None, card: str, **params: Any
) -> tuple[Any, dict[str, Any]]:
    """A setup-mode session for `customer` paid with `card`: (the session, the pay result)."""
    extra = {} if customer is None else {"customer": customer}
    session = client.v1.checkout.sessions.create(params=_setup_params(**extra, **params))
    result = stack.pay(session.id, card=card)
    stack.flush()
    return session, result


def _renew(stack: Stack, sub: dict[str, Any]) -> dict[str, Any]:
    """Move to the renewal; the renewal's charge.succeeded (or the decline's PaymentIntent)."""
    stack.advance_to(sub["items"]["data"][0]["current_period_end"])
    stack.flush()
    charges = stack.receiver.of_type("charge.succeeded")
    return charges[-1]


def test_setup_mode_checkout_saves_a_card_and_the_subscription_default_makes_renewals_use_it(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    metadata = {"subscription_id": sub["id"]}
    session, result = _save_card(
        stack,
        client,
        sub["customer"],
        "5555555555554444",
        setup_intent_data={"metadata": metadata},
    )
    assert (session.mode, session.currency, session.amount_total) == ("setup", "eur", None)
    assert (session.payment_status, session.setup_intent) == ("no_payment_required", None)
    assert result["outcome"] == "saved"
    assert result["redirect"] == f"https://news.example/account?session_id={session.id}"
    assert stack.receiver.types()[seen:] == [
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = stack.receiver.of_type("checkout.session.completed")[-1]
    assert (completed["mode"], completed["payment_status"]) == ("setup", "no_payment_required")
    assert (completed["customer"], completed["payment_intent"]) == (sub["customer"], None)
    intent = client.v1.setup_intents.retrieve(completed["setup_intent"])
    assert (intent.status, intent.customer, intent.usage) == (
        "succeeded",
        sub["customer"],
        "off_session",
    )
    assert intent.metadata.to_dict() == metadata  # type: ignore[union-attr]
    card = client.v1.payment_methods.retrieve(str(intent.payment_method))
    assert (card.customer, card.card.brand, card.card.last4) == (  # type: ignore[union-attr]
        sub["customer"],
        "mastercard",
        "4444",
    )

    seen = len(stack.receiver.events)
    client.v1.subscriptions.update(
        sub["id"], params={"default_payment_method": str(intent.payment_method)}
    )
    stack.flush()
    updated = stack.receiver.events[seen]
    assert updated["type"] == "customer.subscription.updated"
    old_card = client.v1.charges.retrieve(stack.receiver.one("charge.succeeded")["id"])
    assert updated["data"]["previous_attributes"] == {
        "default_payment_method": old_card.payment_method
    }
    renewal = _renew(stack, sub)
    details = renewal["payment_method_details"]["card"]
    assert (renewal["payment_method"], details["brand"], details["last4"]) == (
        intent.payment_method,
        "mastercard",
        "4444",
    )


def test_the_customer_default_does_not_override_the_subscription_s_own(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    _save_card(stack, client, sub["customer"], "5555555555554444")
    pm = client.v1.setup_intents.retrieve(
        stack.receiver.one("setup_intent.succeeded")["id"]
    ).payment_method
    seen = len(stack.receiver.events)
    customer = client.v1.customers.update(
        sub["customer"], params={"invoice_settings": {"default_payment_method": str(pm)}}
    )
    assert customer.invoice_settings.default_payment_method == pm  # type: ignore[union-attr]
    stack.flush()
    assert stack.receiver.types()[seen:] == ["customer.updated"]
    assert stack.receiver.events[-1]["data"]["previous_attributes"] == {
        "invoice_settings": {"default_payment_method": None}
    }
    # Checkout set the membership's own default to the card it was started with: it wins.
    assert _renew(stack, sub)["payment_method_details"]["card"]["last4"] == "4242"


def test_saving_0341_succeeds_and_the_next_renewal_is_declined(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    _, result = _save_card(stack, client, sub["customer"], "4000000000000341")
    assert result["outcome"] == "saved"
    pm = stack.receiver.one("setup_intent.succeeded")["payment_method"]
    client.v1.subscriptions.update(sub["id"], params={"default_payment_method": pm})
    stack.advance_to(sub["items"]["data"][0]["current_period_end"])
    stack.flush()
    assert apart_from_balance(stack.receiver.types())[-3:] == [
        "payment_intent.payment_failed",
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    assert client.v1.subscriptions.retrieve(sub["id"]).status == "past_due"


def test_a_card_declined_at_setup_leaves_the_session_open_for_another(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    session, declined = _save_card(stack, client, sub["customer"], "4000000000000002")
    assert (declined["outcome"], declined["error"]) == ("declined", "Your card was declined.")
    assert stack.receiver.types()[seen:] == ["setup_intent.created", "setup_intent.setup_failed"]
    failed = stack.receiver.one("setup_intent.setup_failed")
    assert failed["last_setup_error"]["decline_code"] == "generic_decline"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    retried = stack.pay(session.id, card="4242424242424242")
    stack.flush()
    assert retried["outcome"] == "saved"
    assert stack.receiver.one("setup_intent.succeeded")["id"] == failed["id"]


def test_a_card_saved_without_a_customer_is_attached_through_the_api(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    seen = len(stack.receiver.events)
    _save_card(stack, client, None, "378282246310005")
    assert stack.receiver.types()[seen:] == [
        "setup_intent.created",
        "setup_intent.succeeded",
        "checkout.session.completed",
    ]
    pm = stack.receiver.one("setup_intent.succeeded")["payment_method"]
    attached = client.v1.payment_methods.attach(pm, params={"customer": sub["customer"]})
    assert attached.customer == sub["customer"]
    listed = client.v1.customers.payment_methods.list(sub["customer"])
    assert [m.card.last4 for m in listed.data] == ["0005", "4242"]  # type: ignore[union-attr]
    other = _membership_of_another(stack, client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.update(other, params={"default_payment_method": pm})
    assert raised.value.user_message == (
        f"The customer does not have a payment method with the ID {pm}. The payment method "
        "must be attached to the customer."
    )


def _membership_of_another(stack: Stack, client: stripe.StripeClient) -> str:
    session = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(session.id, email="other@example.org")
    return str(client.v1.checkout.sessions.retrieve(session.id).subscription)


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        (
            _setup_params(currency=None),
            "currency",
            "You must pass `currency` to create a Checkout Session in `setup` mode.",
        ),
        (
            _setup_params(line_items=donation_params()["line_items"]),
            "line_items",
            "You can not pass `line_items` in `setup` mode.",
        ),
        (
            _setup_params(submit_type="donate"),
            "submit_type",
            "`submit_type` can only be specified on Checkout Sessions in `payment` or "
            "`subscription` mode.",
        ),
        (
            donation_params(setup_intent_data={"description": "x"}),
            "setup_intent_data",
            "You can only pass `setup_intent_data` in `setup` mode.",
        ),
    ],
)
def test_setup_mode_rules_name_the_parameter(
    client: stripe.StripeClient, params: Any, param: str, message: str
) -> None:
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)
    assert (raised.value.param, raised.value.user_message) == (param, message)


def test_the_portal_payment_method_flow_makes_the_new_card_the_default_everywhere(
    stack: Stack, client: stripe.StripeClient
) -> None:
    sub = _membership(stack, client)
    portal = client.v1.billing_portal.sessions.create(
        params={
            "customer": sub["customer"],
            "flow_data": {
                "type": "payment_method_update",
                "after_completion": {
                    "type": "redirect",
                    "redirect": {"return_url": "https://news.example/account?updated=1"},
                },
            },
        }
    )
    assert portal.flow.type == "payment_method_update"  # type: ignore[union-attr]
    page = stack.http.get(str(portal.url)).text
    assert '<p id="current-method">Visa •••• 4242</p>' in page
    seen = len(stack.receiver.events)
    response = stack.http.post(f"{portal.url}/payment_method", data={"card": "378282246310005"})
    assert (response.status_code, response.headers["location"]) == (
        303,
        "https://news.example/account?updated=1",
    )
    stack.flush()
    assert stack.receiver.types()[seen:] == [
        "payment_method.attached",
        "customer.updated",
        "customer.subscription.updated",
    ]
    pm = stack.receiver.one("payment_method.attached")
    assert (pm["card"]["brand"], pm["card"]["display_brand"]) == ("amex", "american_express")
    assert client.v1.subscriptions.retrieve(sub["id"]).default_payment_method == pm["id"]
    assert "American Express •••• 0005" in stack.http.get(str(portal.url)).text
    assert _renew(stack, sub)["payment_method_details"]["card"]["last4"] == "0005"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.billing_portal.sessions.create(
            params={
                "customer": sub["customer"],
                "flow_data": {
                    "type": "subscription_cancel",
                    "subscription_cancel": {"subscription": sub["id"]},
                },
            }
        )
    assert raised.value.param == "flow_data[type]"


@pytest.mark.parametrize(
    ("card", "brand", "last4", "country", "funding"),
    [
        ("4242424242424242", "visa", "4242", "US", "credit"),
        ("5555555555554444", "mastercard", "4444", "US", "credit"),
        ("378282246310005", "amex", "0005", "US", "credit"),
        ("4000056655665556", "visa", "5556", "US", "debit"),
        ("4000002760000016", "visa", "0016", "DE", "credit"),
    ],
)
def test_charges_and_payment_methods_show_the_test_card(
    stack: Stack,
    client: stripe.StripeClient,
    card: str,
    brand: str,
    last4: str,
    country: str,
    funding: str,
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    stack.pay(session.id, card=card)
    pi = client.v1.payment_intents.retrieve(
        str(client.v1.checkout.sessions.retrieve(session.id).payment_intent),
        params={"expand": ["latest_charge", "payment_method"]},
    )
    charge_card = pi.latest_charge.payment_method_details.card  # type: ignore[union-attr]
    pm_card = pi.payment_method.card  # type: ignore[union-attr]
    for shown in (charge_card, pm_card):
        assert (shown.brand, shown.last4, shown.country, shown.funding) == (
            brand,
            last4,
            country,
            funding,
        )
        assert (shown.exp_month, shown.exp_year) == (12, 2034)
    assert charge_card.fingerprint == pm_card.fingerprint
    assert charge_card.network == brand
