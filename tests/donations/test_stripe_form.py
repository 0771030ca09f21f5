"""The Checkout Session create is sent as the stripe library would send it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from stripe._encode import _api_encode

from donations.checkout.metadata import Choices
from donations.checkout.rules import Contribution, session_params
from donations.models import Frequency
from donations.stripe_api import form_body

CONTRIBUTIONS = [
    Contribution(1000, "eur", Frequency.one_off, "ana+gift@example.org", "article-footer"),
    Contribution(500, "gbp", Frequency.monthly),
    Contribution(
        5150,
        "usd",
        Frequency.annual,
        "zoë@example.org",
        "newsletter [weekly] & more",
        Choices(
            fee_covered=150,
            anonymous=True,
            tribute="memory",
            tribute_name="Grand-père Émile",
            reason="For the local news 📰 — 100% of it; a=b&c",
            newsletter=True,
            utm_source="x y",
            referrer="https://example.org/a?b=1&c=[2]",
        ),
    ),
]


def library_body(params: dict[str, object]) -> str:
    # What stripe's _APIRequestor does with a v1 POST's parameters.
    encoded = urlencode(list(_api_encode(params)))
    return encoded.replace("%5B", "[").replace("%5D", "]")


@pytest.mark.parametrize("contribution", CONTRIBUTIONS)
def test_the_form_is_the_librarys_byte_for_byte(contribution: Contribution) -> None:
    params = session_params(
        contribution, checkout_id="chk_AbC-_123", site_url="https://news.example.org"
    )
    assert form_body(params) == library_body(params)


def test_values_stripe_is_not_sent_here_are_refused() -> None:
    assert form_body({"a": None, "b": [True, False], "c": {"d": 0}}) == (
        "b[0]=true&b[1]=false&c[d]=0"
    )
    with pytest.raises(TypeError):
        form_body({"when": 1.5})
