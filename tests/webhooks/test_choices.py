"""The giver's choices and attribution, booked from the metadata of Stripe's objects: the same
columns whichever event comes first, on every renewal, and nothing from values we cannot read."""

from __future__ import annotations

from typing import Any

import pytest

import stripe_events as se
from donations.checkout.metadata import Choices
from donations.db import Database
from donations.models import Checkout, Payment
from tests.webhooks.test_handlers import DAY, T, deliver, only, rows


def again(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same happenings told again in new events (Stripe's retries keep the event id, and
    the inbox takes those as duplicates: these must be processed, and change nothing)."""
    return [{**event, "id": se.new_id("evt")} for event in events]


CHOSEN = {
    "fee_covered": "41",
    "anonymous": "true",
    "newsletter": "true",
    "tribute": "honour",
    "tribute_name": "Ida B. Wells",
    "reason": "Council meetings need reporters",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "december",
    "utm_content": "button",
    "utm_term": "council",
    "referrer": "https://news.example/story",
}
BOOKED = {
    "fee_covered": 41,
    "anonymous": True,
    "newsletter": True,
    "tribute": "honour",
    "tribute_name": "Ida B. Wells",
    "reason": "Council meetings need reporters",
    "utm_source": "newsletter",
    "utm_medium": "email",
    "utm_campaign": "december",
    "utm_content": "button",
    "utm_term": "council",
    "referrer": "https://news.example/story",
}


def choices_of(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in BOOKED}


@pytest.mark.asyncio
@pytest.mark.parametrize("reverse", [False, True], ids=["session first", "intent first"])
async def test_a_gifts_choices_are_booked_whichever_event_comes_first(
    db: Database, reverse: bool
) -> None:
    gift = se.one_off_gift(1041, "eur", T, "ana@example.org", choices=CHOSEN)
    await deliver(db, gift.events[::-1] if reverse else gift.events)
    await deliver(db, again(gift.events))
    assert choices_of(await only(db, Payment)) == BOOKED
    checkout = await only(db, Checkout)
    assert choices_of(checkout) == BOOKED
    assert checkout.paid is True


@pytest.mark.asyncio
async def test_every_renewal_carries_what_the_member_chose_at_checkout(db: Database) -> None:
    member = se.membership_signup(1041, "eur", "month", T, "gus@example.org", choices=CHOSEN)
    renewal = se.membership_renewal(member, T + 30 * DAY)
    await deliver(db, renewal.events + member.events)
    payments = await rows(db, Payment)
    assert [p.amount for p in payments] == [1041, 1041]
    assert [choices_of(p) for p in payments] == [BOOKED, BOOKED]


@pytest.mark.asyncio
async def test_a_delayed_gift_is_complete_unpaid_until_its_money_arrives(db: Database) -> None:
    gift = se.one_off_gift(2500, "eur", T, "dee@example.org", delayed=True)
    completed = [e for e in gift.events if e["type"] == "checkout.session.completed"]
    await deliver(db, completed)
    checkout = await only(db, Checkout)
    assert (checkout.status, checkout.paid) == ("complete", False)
    assert await rows(db, Payment) == []
    await deliver(db, [e for e in gift.events if e not in completed])
    # The "unpaid" completion told again, late: paid stays paid.
    await deliver(db, again(completed))
    checkout = await only(db, Checkout)
    assert (checkout.status, checkout.paid) == ("complete", True)


def test_metadata_we_cannot_read_is_no_choice() -> None:
    # A Payment Link's metadata is typed by a person in Stripe's dashboard.
    read = Choices.from_metadata(
        {
            "fee_covered": "4.10",
            "anonymous": "no",
            "newsletter": "YES",
            "tribute": "in memory",
            "tribute_name": "Ada",
            "reason": "   ",
            "utm_source": " fb ",
            "referrer": "r" * 600,
        }
    )
    assert read == Choices(newsletter=True, utm_source="fb", referrer="r" * 500)
    assert Choices.from_metadata({"tribute": "memory"}) == Choices()
    assert Choices.from_metadata(None) == Choices()
    assert Choices.from_metadata(Choices.from_metadata(CHOSEN).as_metadata()) == Choices(**BOOKED)
