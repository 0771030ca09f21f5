"""Hosted pages over HTTP, as a browser without JavaScript uses them."""

from __future__ import annotations

import re

import httpx
import stripe

from tests.stripe_emulator.support import Stack, donation_params, membership_params


def _checkout_page(stack: Stack, url: str) -> str:
    response = stack.http.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_checkout_page_shows_amount_frequency_and_labelled_fields(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    html = _checkout_page(stack, str(session.url))
    assert '<p class="amount" id="amount">€15.00</p>' in html
    assert '<p id="frequency">One-off</p>' in html
    assert '<label for="email">Email</label>' in html
    assert 'id="email" name="email"' in html and 'value="reader@example.org"' in html
    assert '<input type="radio" name="card" id="card-4242424242424242"' in html
    assert '<label for="card-4000000000000002">' in html
    assert '<button type="submit" id="pay">Pay</button>' in html
    assert '<a href="https://news.example/contribute?cancelled=1" id="cancel">Cancel</a>' in html
    assert "<script" not in html


def test_zero_decimal_currency_and_monthly_frequency_are_shown_right(
    stack: Stack, client: stripe.StripeClient
) -> None:
    params = membership_params(amount=500)
    params["line_items"][0]["price_data"]["currency"] = "jpy"
    session = client.v1.checkout.sessions.create(params=params)
    html = _checkout_page(stack, str(session.url))
    assert '<p class="amount" id="amount">¥500</p>' in html
    assert '<p id="frequency">Monthly</p>' in html
    annual = client.v1.checkout.sessions.create(params=membership_params(interval="year"))
    assert '<p id="frequency">Annual</p>' in _checkout_page(stack, str(annual.url))


def test_paying_on_the_page_redirects_to_success_url_with_the_session_id(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    response = stack.http.post(
        str(session.url),
        data={"email": "page@example.org", "name": "Pat", "card": "4242424242424242"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"https://news.example/contribute/thanks?session_id={session.id}"
    )
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.customer_details.email == "page@example.org"  # type: ignore[union-attr]
    assert "Payment received" in _checkout_page(stack, str(session.url))


def test_declined_card_on_the_page_shows_the_decline_and_keeps_the_form(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=donation_params())
    response = stack.http.post(
        str(session.url), data={"email": "page@example.org", "card": "4000000000000002"}
    )
    assert response.status_code == 402
    assert '<p role="alert" id="error">Your card was declined.</p>' in response.text
    assert re.search(
        r'id="card-4000000000000002" value="4000000000000002"\s+checked', response.text
    )
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_unknown_session_page_is_404(stack: Stack) -> None:
    assert stack.http.get(f"{stack.base}/c/pay/cs_test_missing").status_code == 404


def test_portal_page_cancels_at_period_end_then_now(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(session.id)
    paid = client.v1.checkout.sessions.retrieve(session.id)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": str(paid.customer), "return_url": "https://news.example/account"}
    )
    html = stack.http.get(str(portal.url)).text
    assert "Monthly: €10.00" in html
    assert ">Cancel membership now</button>" in html
    assert ">Cancel at period end</button>" in html
    assert '<a href="https://news.example/account" id="return">' in html

    action = f"{portal.url}/cancel"
    response = stack.http.post(
        action, data={"subscription": str(paid.subscription), "when": "period_end"}
    )
    assert response.status_code == 303
    page = httpx.get(response.headers["location"]).text
    assert "Your membership will end at the end of the period." in page
    assert ">Cancel at period end</button>" not in page
    stack.http.post(action, data={"subscription": str(paid.subscription), "when": "now"})
    stack.flush()
    assert stack.receiver.types()[-2:] == [
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
    assert client.v1.subscriptions.retrieve(str(paid.subscription)).status == "canceled"


def test_portal_refuses_another_customers_subscription(
    stack: Stack, client: stripe.StripeClient
) -> None:
    first = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(first.id, email="a@example.org")
    second = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(second.id, email="b@example.org")
    a, b = (client.v1.checkout.sessions.retrieve(s.id) for s in (first, second))
    portal = client.v1.billing_portal.sessions.create(params={"customer": str(a.customer)})
    response = stack.http.post(
        f"{portal.url}/cancel", data={"subscription": str(b.subscription), "when": "now"}
    )
    assert response.status_code == 404
    assert client.v1.subscriptions.retrieve(str(b.subscription)).status == "active"


def test_setup_mode_page_saves_a_card_without_showing_an_amount(
    stack: Stack, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(
        params={"mode": "setup", "currency": "eur", "success_url": "https://news.example/ok"}
    )
    html = _checkout_page(stack, str(session.url))
    assert "<h1>Save a payment method</h1>" in html
    assert 'id="amount"' not in html
    assert '<button type="submit" id="pay">Save</button>' in html
    response = stack.http.post(
        str(session.url), data={"email": "page@example.org", "card": "5555555555554444"}
    )
    assert (response.status_code, response.headers["location"]) == (303, "https://news.example/ok")
    assert "<h1>Payment method saved</h1>" in _checkout_page(stack, str(session.url))


def test_a_session_for_an_existing_customer_shows_the_customers_email(
    stack: Stack, client: stripe.StripeClient
) -> None:
    paid = client.v1.checkout.sessions.create(params=membership_params())
    stack.pay(paid.id, card="4242424242424242", email="member@example.org")
    customer = client.v1.checkout.sessions.retrieve(paid.id).customer
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": "eur",
            "customer": str(customer),
            "success_url": "https://news.example/ok",
        }
    )
    html = _checkout_page(stack, str(session.url))
    assert 'value="member@example.org"' in html
    anonymous = client.v1.checkout.sessions.create(
        params={"mode": "setup", "currency": "eur", "success_url": "https://news.example/ok"}
    )
    assert 'name="email" autocomplete="email" required value=""' in _checkout_page(
        stack, str(anonymous.url)
    )
