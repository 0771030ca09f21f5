"""The card-update link in messages: it opens only the membership it names, until it ends."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from donations.mail import links
from donations.models import utcnow
from donations.settings import Settings


def parts(url: str) -> tuple[str, int, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path, int(query["until"][0]), query["sig"][0]


def test_a_link_is_valid_for_its_membership_until_it_ends(settings: Settings) -> None:
    now = utcnow()
    path, until, sig = parts(links.card_update_url(settings, 7, now=now))
    assert path == "/mail/card/7"
    assert until == int((now + timedelta(days=links.LINK_DAYS)).timestamp())
    assert links.valid(settings, 7, until, sig, now=now)
    assert links.valid(settings, 7, until, sig, now=now + timedelta(days=links.LINK_DAYS - 1))
    assert not links.valid(settings, 7, until, sig, now=now + timedelta(days=links.LINK_DAYS + 1))
    assert not links.valid(settings, 8, until, sig, now=now)  # another reader's membership
    assert not links.valid(settings, 7, until + 86400, sig, now=now)  # kept for longer
    assert not links.valid(settings, 7, until, sig[:-1] + ("A" if sig[-1] != "A" else "B"), now=now)
    assert not links.valid(settings, 7, until, "", now=now)
    assert not links.valid(settings, 7, until, f"{sig}.{sig}", now=now)


def test_a_link_signed_with_another_key_is_not_valid(settings: Settings) -> None:
    now = utcnow()
    _, until, sig = parts(links.card_update_url(settings, 7, now=now))
    other = settings.model_copy(update={"STRIPE_SECRET_KEY": "sk_test_another"})
    assert not links.valid(other, 7, until, sig, now=now)
