"""The checkout endpoints over real HTTP, with the mounted emulator as the Stripe API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import stripe
from sqlmodel import col, select

from donations.app import create_app
from donations.db import Database
from donations.models import Checkout, utcnow
from donations.settings import Settings
from donations.stripe_api import open_stripe_client
from tests.support.servers import free_port, serve_in_thread


@contextmanager
def serve(settings: Settings, port: int) -> Iterator[str]:
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@dataclass
class Live:
    url: str
    settings: Settings
    stripe: stripe.StripeClient


def live_settings(database_url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CURRENCIES": ["eur", "gbp", "jpy"],
        "CHECKOUT_RATE_LIMIT": "1000/minute",
    }
    return Settings(**(values | overrides))


@pytest_asyncio.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    port = free_port()
    settings = live_settings(database_url, port)
    with serve(settings, port) as url:
        async with open_stripe_client(settings, retries=0) as client:
            yield Live(url, settings, client)


async def rows(db: Database) -> list[Checkout]:
    async with db.session() as session:
        return list((await session.exec(select(Checkout).order_by(col(Checkout.created_at)))).all())


async def pay(live: Live, session_id: str, card: str = "4242424242424242") -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{live.url}/stripe-emulator/_emulator/checkout/sessions/{session_id}/pay",
            json={"card": card, "email": "reader@example.com"},
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.asyncio
async def test_one_off_api_creates_the_row_then_the_exact_session(live: Live, db: Database) -> None:
    body = {"amount": 1500, "currency": "eur", "frequency": "one_off",
            "email": "reader@example.com", "source": "article-footer"}  # fmt: skip
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{live.url}/api/checkout-sessions", json=body)
    assert response.status_code == 201
    answer = response.json()
    [row] = await rows(db)
    assert row.id.startswith("chk_") and len(row.id) == 28
    assert (row.status, row.stripe_session_id, row.amount, row.currency, row.frequency) == (
        "open", answer["id"], 1500, "eur", "one_off",
    )  # fmt: skip
    assert (row.email, row.source, row.failure_reason) == (
        "reader@example.com",
        "article-footer",
        None,
    )

    session = await live.stripe.v1.checkout.sessions.retrieve_async(answer["id"])
    metadata = {"checkout_id": row.id, "frequency": "one_off", "source": "article-footer"}
    assert answer["url"] == session.url == f"{live.url}/stripe-emulator/c/pay/{answer['id']}"
    assert (session.mode, session.submit_type, session.customer_creation) == (
        "payment", "donate", "always",
    )  # fmt: skip
    assert (session.amount_total, session.currency, session.customer_email) == (
        1500, "eur", "reader@example.com",
    )  # fmt: skip
    assert session.client_reference_id == row.id
    assert session.metadata is not None and session.metadata.to_dict() == metadata
    assert session.success_url == (
        f"{live.url}/contribute/thanks?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert session.cancel_url == f"{live.url}/contribute?cancelled=1"
    items = await live.stripe.v1.checkout.sessions.line_items.list_async(answer["id"])
    [item] = items.data
    assert (item.description, item.amount_total, item.quantity) == ("Contribution", 1500, 1)

    paid = await pay(live, answer["id"])
    intent = await live.stripe.v1.payment_intents.retrieve_async(paid["session"]["payment_intent"])
    assert intent.metadata.to_dict() == metadata
    assert (intent.amount, intent.description) == (1500, "Reader contribution")


@pytest.mark.asyncio
async def test_membership_api_asks_for_a_yearly_subscription(live: Live, db: Database) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{live.url}/api/checkout-sessions",
            json={"amount": 5000, "currency": "gbp", "frequency": "annual"},
        )
    assert response.status_code == 201
    [row] = await rows(db)
    session = await live.stripe.v1.checkout.sessions.retrieve_async(response.json()["id"])
    metadata = {"checkout_id": row.id, "frequency": "annual"}
    assert (session.mode, session.submit_type, session.amount_total, session.currency) == (
        "subscription", "subscribe", 5000, "gbp",
    )  # fmt: skip
    assert session.customer_email is None
    assert session.metadata is not None and session.metadata.to_dict() == metadata
    items = await live.stripe.v1.checkout.sessions.line_items.list_async(session.id)
    [item] = items.data
    assert item.price is not None and item.price.recurring is not None
    assert (item.description, item.price.unit_amount, item.price.recurring.interval) == (
        "Annual membership", 5000, "year",
    )  # fmt: skip

    paid = await pay(live, session.id)
    subscription = await live.stripe.v1.subscriptions.retrieve_async(
        paid["session"]["subscription"]
    )
    assert subscription.metadata.to_dict() == metadata


@pytest.mark.asyncio
async def test_idempotency_key_replays_the_same_session(live: Live, db: Database) -> None:
    body = {"amount": 1000, "currency": "eur", "frequency": "monthly"}
    headers = {"Idempotency-Key": "front-end-42"}
    async with httpx.AsyncClient() as http:
        first = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
        again = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
        other = await http.post(
            f"{live.url}/api/checkout-sessions", json=body | {"amount": 2000}, headers=headers
        )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    [row] = await rows(db)
    assert (row.idempotency_key, row.stripe_session_id) == ("front-end-42", first.json()["id"])


@pytest.mark.asyncio
async def test_one_idempotency_key_sent_eight_times_at_once_makes_one_checkout(
    live: Live, db: Database
) -> None:
    """The losers of the INSERT race see the winner's row: the same session once it has one,
    409 while it is still being made; never a 500, never a second row."""
    body = {"amount": 1500, "currency": "eur", "frequency": "one_off"}
    headers = {"Idempotency-Key": "front-end-race"}
    async with httpx.AsyncClient() as http:
        answers = await asyncio.gather(
            *(
                http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
                for _ in range(8)
            )
        )
    [row] = await rows(db)
    created = [answer.json()["id"] for answer in answers if answer.status_code == 201]
    in_flight = [answer.json()["error"]["code"] for answer in answers if answer.status_code == 409]
    assert len(created) + len(in_flight) == 8
    assert set(created) == {row.stripe_session_id}
    assert set(in_flight) <= {"idempotency_key_in_use"}
    assert (row.idempotency_key, row.amount) == ("front-end-race", 1500)


@pytest.mark.asyncio
async def test_invalid_contribution_is_422_and_writes_nothing(live: Live, db: Database) -> None:
    async with httpx.AsyncClient() as http:
        small = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 49, "currency": "eur"}
        )
        broken = await http.post(
            f"{live.url}/api/checkout-sessions",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    assert small.status_code == 422
    assert small.json() == {
        "error": {
            "code": "amount_too_small",
            "message": "The smallest amount we can take is €0.50.",
            "field": "amount",
        }
    }
    assert broken.status_code == 422
    assert broken.json()["error"]["code"] == "invalid_json"
    assert await rows(db) == []


@pytest.mark.asyncio
async def test_form_post_redirects_to_checkout(live: Live, db: Database) -> None:
    form = {"frequency": "monthly", "amount": "5", "custom_amount": "", "currency": "eur",
            "email": "", "source": "newsletter"}  # fmt: skip
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{live.url}/contribute", data=form, headers={"Origin": live.url}
        )
    assert response.status_code == 303
    [row] = await rows(db)
    assert response.headers["location"] == (
        f"{live.url}/stripe-emulator/c/pay/{row.stripe_session_id}"
    )
    assert (row.amount, row.frequency, row.source, row.email) == (
        500,
        "monthly",
        "newsletter",
        None,
    )


@pytest.mark.asyncio
async def test_form_errors_are_shown_by_the_field_with_the_input_kept(
    live: Live, db: Database
) -> None:
    form = {"frequency": "one_off", "amount": "10", "custom_amount": "0,20",
            "currency": "eur", "email": "reader@example"}  # fmt: skip
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{live.url}/contribute", data=form, headers={"Origin": live.url}
        )
    assert response.status_code == 422
    page = response.text
    assert 'id="custom_amount" name="custom_amount"' in page
    assert 'value="0,20" aria-invalid="true" aria-describedby="custom_amount-error"' in page
    assert (
        '<p class="error" id="custom_amount-error">The smallest amount we can take is €0.50.</p>'
        in page
    )
    assert 'value="reader@example"' in page
    assert await rows(db) == []


@pytest.mark.asyncio
async def test_stripe_unreachable_is_503_and_the_row_is_failed(database_url: str) -> None:
    port, dead = free_port(), free_port()
    settings = live_settings(database_url, port, STRIPE_API_BASE=f"http://127.0.0.1:{dead}/v")
    with serve(settings, port) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            api = await http.post(f"{url}/api/checkout-sessions", json={"amount": 1000})
            page = await http.post(
                f"{url}/contribute",
                data={"frequency": "one_off", "amount": "10", "currency": "eur"},
                headers={"Origin": url},
            )
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "payment_provider_unavailable"
    assert page.status_code == 503
    assert "nothing was charged" in page.text
    db = Database(database_url)
    try:
        found = await rows(db)
    finally:
        await db.dispose()
    assert [(row.status, row.stripe_session_id) for row in found] == [("failed", None)] * 2
    assert all((row.failure_reason or "").startswith("APIConnectionError: ") for row in found)


@pytest.mark.asyncio
async def test_stripe_refusing_the_request_is_502_and_the_row_is_failed(
    database_url: str,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The emulator refuses success_url "https:/contribute/...": not a URL, as Stripe would.
    settings = live_settings(
        database_url, port, SITE_URL="https:", STRIPE_API_BASE=base + "/stripe-emulator"
    )
    with serve(settings, port):
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{base}/api/checkout-sessions", json={"amount": 1000})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    db = Database(database_url)
    try:
        [row] = await rows(db)
    finally:
        await db.dispose()
    assert (row.status, row.stripe_session_id) == ("failed", None)
    assert row.failure_reason == "InvalidRequestError: Not a valid URL"


@pytest.mark.asyncio
async def test_thanks_page_says_what_was_given_and_404s_alike_for_unknown_ids(
    live: Live,
) -> None:
    async with httpx.AsyncClient() as http:
        created = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 500, "frequency": "monthly"}
        )
        session_id = created.json()["id"]
        await pay(live, session_id)
        thanks = await http.get(f"{live.url}/contribute/thanks", params={"session_id": session_id})
        unknown = await http.get(
            f"{live.url}/contribute/thanks", params={"session_id": "cs_test_doesnotexist"}
        )
        forged = await http.get(
            f"{live.url}/contribute/thanks", params={"session_id": "../../v1/customers"}
        )
        missing = await http.get(f"{live.url}/contribute/thanks")
    assert thanks.status_code == 200
    assert "You are giving <strong>€5.00 every month</strong>." in thanks.text
    assert f'name="session_id" value="{session_id}"' in thanks.text
    assert [r.status_code for r in (unknown, forged, missing)] == [404, 404, 404]
    assert unknown.text == forged.text == missing.text
    assert "cs_test_doesnotexist" not in unknown.text


@pytest.mark.asyncio
async def test_thanks_page_asks_stripe_about_sessions_we_did_not_start(live: Live) -> None:
    # As a Stripe Payment Link would: a session with none of our metadata.
    session = await live.stripe.v1.checkout.sessions.create_async(
        {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "gbp",
                        "unit_amount": 1250,
                        "product_data": {"name": "Gift"},
                    },
                }
            ],
            "success_url": f"{live.url}/contribute/thanks?session_id={{CHECKOUT_SESSION_ID}}",
        }
    )
    async with httpx.AsyncClient() as http:
        thanks = await http.get(f"{live.url}/contribute/thanks", params={"session_id": session.id})
    assert thanks.status_code == 200
    assert "You are giving <strong>£12.50 once</strong>." in thanks.text
    assert "Manage your membership" not in thanks.text


@pytest.mark.asyncio
async def test_portal_opens_for_a_recent_membership_checkout(live: Live, db: Database) -> None:
    async with httpx.AsyncClient() as http:
        created = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 500, "frequency": "monthly"}
        )
        session_id = created.json()["id"]
        paid = await pay(live, session_id)
        response = await http.post(
            f"{live.url}/membership/portal",
            data={"session_id": session_id},
            headers={"Origin": live.url},
        )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{live.url}/stripe-emulator/p/session/")
    portal_id = location.rsplit("/", 1)[1]
    async with httpx.AsyncClient() as http:
        page = await http.get(location)
    assert page.status_code == 200
    assert paid["session"]["customer"].startswith("cus_")
    assert portal_id.startswith("bps_")


@pytest.mark.asyncio
async def test_portal_falls_back_without_a_recent_membership(database_url: str) -> None:
    port = free_port()
    settings = live_settings(
        database_url, port, STRIPE_PORTAL_LOGIN_URL="https://billing.stripe.com/p/login/test_1"
    )
    with serve(settings, port) as url:
        async with (
            open_stripe_client(settings, retries=0) as stripe_client,
            httpx.AsyncClient() as http,
        ):
            live = Live(url, settings, stripe_client)
            one_off = await http.post(f"{url}/api/checkout-sessions", json={"amount": 500})
            await pay(live, one_off.json()["id"])
            member = await http.post(
                f"{url}/api/checkout-sessions", json={"amount": 500, "frequency": "annual"}
            )
            await pay(live, member.json()["id"])
            db = Database(database_url)
            try:
                async with db.session() as session:
                    query = select(Checkout).where(
                        Checkout.stripe_session_id == member.json()["id"]
                    )
                    row = (await session.exec(query)).one()
                    row.created_at = utcnow() - timedelta(hours=1, minutes=1)
                    session.add(row)
                    await session.commit()
            finally:
                await db.dispose()
            answers = [
                await http.post(
                    f"{url}/membership/portal", data={"session_id": sid}, headers={"Origin": url}
                )
                for sid in (one_off.json()["id"], member.json()["id"], "cs_test_unknown", "x")
            ]
    assert [a.status_code for a in answers] == [303] * 4
    assert {a.headers["location"] for a in answers} == {"https://billing.stripe.com/p/login/test_1"}


@pytest.mark.asyncio
async def test_portal_without_login_link_explains_how_to_manage(live: Live) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as http:
        response = await http.post(
            f"{live.url}/membership/portal",
            data={"session_id": "cs_x"},
            headers={"Origin": live.url},
        )
    assert str(response.url) == f"{live.url}/membership"
    assert response.status_code == 200
    assert "Every receipt email has a link" in response.text


@pytest.mark.asyncio
async def test_contribute_page_offers_the_frequency_amounts_and_notes_a_cancel(
    live: Live,
) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{live.url}/contribute", params={"frequency": "monthly"})
        cancelled = await http.get(f"{live.url}/contribute", params={"cancelled": "1"})
    assert page.status_code == 200
    assert (
        '<input type="radio" id="frequency-monthly" name="frequency" value="monthly" checked>'
        in page.text
    )
    # One frequency control; each frequency's amounts, one of each preselected (the middle).
    assert page.text.count('name="frequency"') == 3
    assert [f'id="amount-monthly-{a}"' in page.text for a in ("5", "10", "20", "25")] == [
        True, True, True, False,
    ]  # fmt: skip
    assert re.search(r'id="amount-monthly-10" [^>]* checked>', page.text)
    assert re.search(r'id="amount-one_off-10" [^>]* checked>', page.text)
    assert not re.search(r'id="amount-monthly-5" [^>]* checked>', page.text)
    assert "€20.00" in page.text
    assert "No payment was taken" not in page.text
    assert "No payment was taken" in cancelled.text
    assert '<option value="jpy">JPY</option>' in page.text


@pytest.mark.asyncio
async def test_a_key_that_failed_at_stripe_is_retried_on_the_same_row(
    database_url: str, db: Database
) -> None:
    body = {"amount": 2500, "currency": "eur", "frequency": "one_off"}
    headers = {"Idempotency-Key": "retry-me"}
    down, up, dead = free_port(), free_port(), free_port()
    broken = live_settings(database_url, down, STRIPE_API_BASE=f"http://127.0.0.1:{dead}")
    async with httpx.AsyncClient(timeout=30) as http:
        with serve(broken, down) as url:
            failed = await http.post(f"{url}/api/checkout-sessions", json=body, headers=headers)
        [row] = await rows(db)
        assert (failed.status_code, row.status) == (503, "failed")
        with serve(live_settings(database_url, up), up) as url:
            retried = await http.post(f"{url}/api/checkout-sessions", json=body, headers=headers)
    assert retried.status_code == 201
    [again] = await rows(db)
    assert (again.id, again.status, again.failure_reason) == (row.id, "open", None)
    assert again.stripe_session_id == retried.json()["id"]


@pytest.mark.asyncio
async def test_a_key_still_in_flight_is_409(live: Live, db: Database) -> None:
    async with db.session() as session:
        session.add(
            Checkout(
                id="chk_inflight",
                idempotency_key="busy",
                amount=1000,
                currency="eur",
                frequency="one_off",
            )
        )
        await session.commit()
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{live.url}/api/checkout-sessions",
            json={"amount": 1000, "currency": "eur", "frequency": "one_off"},
            headers={"Idempotency-Key": "busy"},
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    [row] = await rows(db)
    assert (row.id, row.status) == ("chk_inflight", "created")


@pytest.mark.asyncio
async def test_a_key_whose_request_died_before_noting_the_session_gets_that_session(
    live: Live, db: Database
) -> None:
    """The first request made the session at Stripe, then died (or its note was lost with
    the database) before the row said so. Past the request deadline, a retry with the key
    asks Stripe again under the row's own idempotency key and gets the same session."""
    body = {"amount": 1200, "currency": "eur", "frequency": "one_off"}
    headers = {"Idempotency-Key": "front-end-crash"}
    async with httpx.AsyncClient() as http:
        first = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
        await _as_if_never_noted(db, started=utcnow() - timedelta(seconds=36))
        retried = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
        again = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
    assert (first.status_code, retried.status_code, again.status_code) == (201, 201, 201)
    assert retried.json()["id"] == again.json()["id"] == first.json()["id"]
    [row] = await rows(db)
    assert (row.status, row.stripe_session_id) == ("open", first.json()["id"])


@pytest.mark.asyncio
async def test_a_key_noted_nowhere_yet_is_in_flight_until_the_request_deadline(
    live: Live, db: Database
) -> None:
    body = {"amount": 1200, "currency": "eur", "frequency": "one_off"}
    headers = {"Idempotency-Key": "front-end-slow"}
    async with httpx.AsyncClient() as http:
        await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
        # REQUEST_TIMEOUT is 30 s, and 5 s are allowed for the app servers' clocks.
        await _as_if_never_noted(db, started=utcnow() - timedelta(seconds=34))
        waiting = await http.post(f"{live.url}/api/checkout-sessions", json=body, headers=headers)
    assert waiting.status_code == 409
    assert waiting.json()["error"]["code"] == "idempotency_key_in_use"
    [row] = await rows(db)
    assert (row.status, row.stripe_session_id) == ("created", None)


async def _as_if_never_noted(db: Database, *, started: datetime) -> None:
    """The only row back as its first write left it, started at `started`."""
    async with db.session() as session:
        [row] = (await session.exec(select(Checkout))).all()
        row.status, row.stripe_session_id, row.created_at = "created", None, started
        session.add(row)
        await session.commit()


@pytest.mark.asyncio
async def test_no_campaign_means_no_progress_bar(live: Live) -> None:
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{live.url}/contribute")
    assert page.status_code == 200
    assert 'id="progress-bar"' not in page.text
