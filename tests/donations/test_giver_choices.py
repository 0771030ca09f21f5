"""The giver's choices and attribution over real HTTP, with the mounted emulator as Stripe:
each lands in the Session's metadata (and the PaymentIntent's or Subscription's) and on our
checkout row; bad input is a 422 naming the field; a campaign's placement sets the offer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import select

from donations.campaigns import NewCampaign, add_campaign
from donations.db import Database
from donations.models import Checkout, utcnow
from donations.offers import save_offer, validate_offer
from donations.stripe_api import open_stripe_client
from tests.donations.test_checkout_api import Live, live_settings, pay, serve
from tests.support.servers import free_port


@pytest_asyncio.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    port = free_port()
    settings = live_settings(database_url, port)
    with serve(settings, port) as url:
        async with open_stripe_client(settings, retries=0) as client:
            yield Live(url, settings, client)


EVERY_CHOICE: dict[str, Any] = {
    "amount": 1000,
    "currency": "eur",
    "frequency": "monthly",
    "email": "giver@example.com",
    "source": "article-footer",
    "cover_fee": True,
    "anonymous": True,
    "newsletter": True,
    "tribute": "honour",
    "tribute_name": "Ida B. Wells",
    "reason": "Because the council  meetings\nneed reporters",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "december",
    "utm_content": "footer-button",
    "utm_term": "council",
    "referrer": "https://news.example/council-story",
}
EXPECTED_METADATA = {
    "frequency": "monthly",
    "source": "article-footer",
    # (€10.00 + €0.25) / 0.985 = €10.406…: €10.41 charged, €0.41 of it the fee covered.
    "fee_covered": "41",
    "anonymous": "true",
    "newsletter": "true",
    "tribute": "honour",
    "tribute_name": "Ida B. Wells",
    "reason": "Because the council meetings need reporters",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "december",
    "utm_content": "footer-button",
    "utm_term": "council",
    "referrer": "https://news.example/council-story",
}


async def _row(db: Database, session_id: str) -> Checkout:
    async with db.session() as session:
        query = select(Checkout).where(Checkout.stripe_session_id == session_id)
        row = (await session.exec(query)).one()
    return row


@pytest.mark.asyncio
async def test_every_choice_rides_on_the_session_the_subscription_and_the_row(
    live: Live, db: Database
) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{live.url}/api/checkout-sessions", json=EVERY_CHOICE)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["amount"], answer["fee_covered"]) == (1041, 41)
    found = await live.stripe.v1.checkout.sessions.retrieve_async(answer["id"])
    metadata = found.metadata.to_dict() if found.metadata else {}
    assert {k: v for k, v in metadata.items() if k != "checkout_id"} == EXPECTED_METADATA
    assert found.amount_total == 1041
    # The subscription keeps its own copy, which every renewal's invoice carries.
    paid = await pay(live, answer["id"])
    subscription = await live.stripe.v1.subscriptions.retrieve_async(
        paid["session"]["subscription"]
    )
    assert subscription.metadata.to_dict() == metadata
    row = await _row(db, answer["id"])
    assert (row.amount, row.fee_covered, row.anonymous, row.newsletter) == (1041, 41, True, True)
    assert (row.tribute, row.tribute_name) == ("honour", "Ida B. Wells")
    assert row.reason == "Because the council meetings need reporters"
    assert (row.utm_source, row.utm_medium, row.utm_campaign, row.utm_content, row.utm_term) == (
        "newsletter", "email", "december", "footer-button", "council",
    )  # fmt: skip
    assert row.referrer == "https://news.example/council-story"


@pytest.mark.asyncio
async def test_a_one_off_puts_the_choices_on_its_payment_intent(live: Live) -> None:
    body = {"amount": 500, "frequency": "one_off", "anonymous": True, "utm_source": "x"}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{live.url}/api/checkout-sessions", json=body)
    assert response.status_code == 201, response.text
    assert (response.json()["amount"], response.json()["fee_covered"]) == (500, 0)
    found = await live.stripe.v1.checkout.sessions.retrieve_async(response.json()["id"])
    assert found.metadata is not None
    assert (found.metadata["anonymous"], found.metadata["utm_source"]) == ("true", "x")
    assert "fee_covered" not in found.metadata and "newsletter" not in found.metadata
    paid = await pay(live, response.json()["id"])
    intent = await live.stripe.v1.payment_intents.retrieve_async(paid["session"]["payment_intent"])
    assert intent.metadata.to_dict() == found.metadata.to_dict()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"cover_fee": "yes"}, ("invalid_choice", "cover_fee", "cover_fee must be true or false.")),
        ({"anonymous": 1}, ("invalid_choice", "anonymous", "anonymous must be true or false.")),
        ({"newsletter": None}, ("invalid_choice", "newsletter", "newsletter must be true or false.")),
        ({"tribute": "friend"}, ("invalid_choice", "tribute", "Choose in honour or in memory of someone.")),
        ({"tribute": "memory", "tribute_name": " "},
         ("invalid_tribute", "tribute_name", "Please give the name of the person your gift is for.")),
        ({"tribute": None, "tribute_name": "Ada"},
         ("invalid_choice", "tribute", "Choose in honour or in memory of someone.")),
        ({"reason": "x" * 501},
         ("text_too_long", "reason", "Your reason must be at most 500 characters, on one line.")),
        ({"reason": 42},
         ("text_too_long", "reason", "Your reason must be at most 500 characters, on one line.")),
        ({"tribute_name": "y" * 201},
         ("text_too_long", "tribute_name", "The name must be at most 200 characters, on one line.")),
        ({"utm_campaign": "c" * 201},
         ("text_too_long", "utm_campaign", "utm_campaign must be at most 200 characters, on one line.")),
        ({"referrer": "https://" + "r" * 500},
         ("text_too_long", "referrer", "referrer must be at most 500 characters, on one line.")),
        ({"utm_source": "tab\\there"[:3] + "\x07"},
         ("text_too_long", "utm_source", "utm_source must be at most 200 characters, on one line.")),
        ({"amount": 999_999_00, "cover_fee": True},
         ("amount_too_large", "amount", "The largest amount we can take online is €10,000.00.")),
    ],
)  # fmt: skip
async def test_bad_choices_are_422_with_the_field_and_write_nothing(
    live: Live, db: Database, change: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    body = {**EVERY_CHOICE, **change}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{live.url}/api/checkout-sessions", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["message"]) == expected
    async with db.session() as session:
        assert (await session.exec(select(Checkout))).all() == []


@pytest.mark.asyncio
async def test_the_covered_fee_may_take_a_gift_to_the_maximum_but_not_past_it(live: Live) -> None:
    # MAX_AMOUNT €10,000.00: €9,850.00 with its fee is €10,000.26, too much; €9,847.00 with
    # its €150.21 is €9,997.21.
    async with httpx.AsyncClient() as http:
        over = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 985_000, "cover_fee": True}
        )
        under = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 984_700, "cover_fee": True}
        )
    assert over.status_code == 422 and over.json()["error"]["code"] == "amount_too_large"
    assert under.status_code == 201, under.text
    assert (under.json()["amount"], under.json()["fee_covered"]) == (999_721, 15_021)


def _form(**fields: str) -> dict[str, str]:
    return {"frequency": "one_off", "amount_one_off": "10", "currency": "eur", **fields}


async def _post_form(live: Live, fields: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{live.url}/contribute", data=fields, headers={"Origin": live.url})


@pytest.mark.asyncio
async def test_the_form_sends_every_choice_as_checkboxes_and_hidden_fields(
    live: Live, db: Database
) -> None:
    fields = _form(
        frequency="annual",
        amount_annual="100",
        amount_one_off="10",  # the other frequency's preselected button is sent too: ignored
        cover_fee="1",
        anonymous="1",
        newsletter="1",
        tribute="memory",
        tribute_name="Nellie Bly",
        reason="For the archive",
        source="newsletter-footer",
        utm_source="mastodon",
        referrer="https://elsewhere.example/",
    )
    response = await _post_form(live, fields)
    assert response.status_code == 303, response.text
    session_id = re.search(r"cs_test_\w+", response.headers["location"])
    assert session_id is not None
    row = await _row(db, session_id.group())
    # (€100.00 + €0.25) / 0.985 = €101.776…: €101.78.
    assert (row.frequency, row.amount, row.fee_covered) == ("annual", 10178, 178)
    assert (row.anonymous, row.newsletter, row.tribute, row.tribute_name) == (
        True, True, "memory", "Nellie Bly",
    )  # fmt: skip
    assert (row.source, row.utm_source, row.referrer, row.utm_medium) == (
        "newsletter-footer", "mastodon", "https://elsewhere.example/", None,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_a_typed_amount_wins_and_an_untouched_form_gives_no_choices(
    live: Live, db: Database
) -> None:
    response = await _post_form(live, _form(custom_amount="7,50", tribute=""))
    assert response.status_code == 303, response.text
    async with db.session() as session:
        row = (await session.exec(select(Checkout))).one()
    assert (row.amount, row.fee_covered, row.anonymous, row.newsletter, row.tribute) == (
        750, 0, False, False, None,
    )  # fmt: skip


@pytest.mark.asyncio
async def test_the_form_shows_a_bad_choice_beside_its_field_and_keeps_the_input(
    live: Live,
) -> None:
    response = await _post_form(live, _form(tribute="honour", tribute_name="", reason="kept"))
    assert response.status_code == 422
    assert '<p class="error" id="tribute_name-error">Please give the name' in response.text
    assert 'id="tribute-honour" name="tribute" value="honour" checked' in response.text
    assert ">kept</textarea>" in response.text


@pytest.mark.asyncio
async def test_a_link_carries_its_attribution_and_the_referring_page_into_the_form(
    live: Live,
) -> None:
    query = "source=article-footer&utm_source=fb&utm_medium=social&utm_campaign=dec&utm_term=t"
    async with httpx.AsyncClient() as http:
        page = await http.get(
            f"{live.url}/contribute?{query}",
            headers={"Referer": "https://news.example/story"},
        )
        ours = await http.get(
            f"{live.url}/contribute", headers={"Referer": f"{live.url}/contribute/thanks"}
        )
    for name, value in [("source", "article-footer"), ("utm_source", "fb"),
                        ("utm_medium", "social"), ("utm_campaign", "dec"), ("utm_content", ""),
                        ("utm_term", "t"), ("referrer", "https://news.example/story")]:  # fmt: skip
        assert f'<input type="hidden" name="{name}" value="{value}">' in page.text
    # Our own pages are not where a reader came from.
    assert '<input type="hidden" name="referrer" value="">' in ours.text


@pytest.mark.asyncio
async def test_a_placement_has_its_own_amounts_default_frequency_and_minimum(
    live: Live, db: Database
) -> None:
    year = utcnow().year
    async with db.session() as session:
        campaign = await add_campaign(
            session=session,
            campaign=NewCampaign("y", "Year", "eur", 100_000, date(year, 1, 1), date(year, 12, 31)),
        )
        whole = validate_offer(campaign=campaign, placement=None, amounts="annual:60,*120",
                               default_frequency="annual", minimum=None)  # fmt: skip
        footer = validate_offer(campaign=campaign, placement="footer", amounts="one_off:4,*8",
                                default_frequency="one_off", minimum="4")  # fmt: skip
        await save_offer(session, campaign=campaign, offer=whole)
        await save_offer(session, campaign=campaign, offer=footer)
    async with httpx.AsyncClient() as http:
        plain = await http.get(f"{live.url}/contribute")
        placed = await http.get(f"{live.url}/contribute?source=footer")
        small = await http.post(
            f"{live.url}/api/checkout-sessions", json={"amount": 350, "source": "footer"}
        )
        elsewhere = await http.post(f"{live.url}/api/checkout-sessions", json={"amount": 350})
    checked = re.compile(r'id="(amount-[a-z_]+-\d+)" [^>]* checked>')
    assert 'id="frequency-annual" name="frequency" value="annual" checked' in plain.text
    assert checked.findall(plain.text) == [
        "amount-one_off-10",
        "amount-monthly-10",
        "amount-annual-120",
    ]
    assert 'id="frequency-one_off" name="frequency" value="one_off" checked' in placed.text
    # The placement's own one-off amounts; the campaign's annual ones behind them.
    assert checked.findall(placed.text) == [
        "amount-one_off-8",
        "amount-monthly-10",
        "amount-annual-120",
    ]
    assert small.status_code == 422
    assert small.json()["error"] == {
        "code": "amount_too_small",
        "message": "The smallest amount we can take is €4.00.",
        "field": "amount",
    }
    assert elsewhere.status_code == 201, elsewhere.text
