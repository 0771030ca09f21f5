"""forms.py and params.py: Stripe's form encoding checked against the package's TypedDicts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe.params import EventListParams, RefundCreateParams, SubscriptionUpdateParams
from stripe.params.checkout import SessionCreateParams

from stripe_emulator import create_app
from stripe_emulator.errors import StripeError
from stripe_emulator.forms import decode
from stripe_emulator.params import validate
from tests.stripe_emulator.support import API_KEY, Servers, emulator_config


def _check(query: str, params_type: object) -> dict[str, object]:
    return validate(decode(parse_qsl(query, keep_blank_values=True)), params_type)


def test_nested_hashes_and_arrays_decode_to_typed_values() -> None:
    checked = _check(
        "mode=subscription&line_items[0][quantity]=2&line_items[0][price_data][currency]=eur"
        "&line_items[0][price_data][unit_amount_decimal]=12.5"
        "&line_items[0][price_data][product_data][name]=M"
        "&line_items[0][price_data][recurring][interval]=year&metadata[0]=zero"
        "&expires_at=1800000000&subscription_data[metadata][k]=v",
        SessionCreateParams,
    )
    assert checked == {
        "mode": "subscription",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount_decimal": Decimal("12.5"),
                    "product_data": {"name": "M"},
                    "recurring": {"interval": "year"},
                },
            }
        ],
        "metadata": {"0": "zero"},
        "expires_at": 1_800_000_000,
        "subscription_data": {"metadata": {"k": "v"}},
    }


def test_booleans_lists_and_empty_strings() -> None:
    assert _check("cancel_at_period_end=true&metadata=", SubscriptionUpdateParams) == {
        "cancel_at_period_end": True,
        "metadata": "",
    }
    assert _check("types[]=a.b&types[]=c.d&created[gte]=5", EventListParams) == {
        "types": ["a.b", "c.d"],
        "created": {"gte": 5},
    }
    assert _check("created=7", EventListParams) == {"created": 7}


@pytest.mark.parametrize(
    ("query", "params_type", "param", "message"),
    [
        ("amount=ten", RefundCreateParams, "amount", "Invalid integer: ten"),
        (
            "cancel_at_period_end=yes",
            SubscriptionUpdateParams,
            "cancel_at_period_end",
            "Invalid boolean: yes",
        ),
        (
            "reason=because",
            RefundCreateParams,
            "reason",
            "Invalid reason: must be one of duplicate, fraudulent, requested_by_customer",
        ),
        ("api_key=sk_test_x", RefundCreateParams, "api_key", "Received unknown parameter: api_key"),
        ("line_items[1][quantity]=1", SessionCreateParams, "line_items", "Invalid array"),
        ("metadata[a]=1&metadata=2", RefundCreateParams, "metadata", "Invalid object"),
        (
            "line_items[0][price_data][unit_amount]=5",
            SessionCreateParams,
            "line_items[0][price_data][currency]",
            "Missing required param: line_items[0][price_data][currency].",
        ),
    ],
)
def test_bad_params_are_named_like_stripe_names_them(
    query: str, params_type: object, param: str, message: str
) -> None:
    with pytest.raises(StripeError) as raised:
        _check(query, params_type)
    assert (raised.value.status, raised.value.param, raised.value.message) == (400, param, message)
    assert raised.value.replayable is False


_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)


def test_what_the_stripe_library_encodes_the_emulator_decodes_unchanged(servers: Servers) -> None:
    """Sessions created through the real client over HTTP, so the encoding is the library's own
    (its encoder is private: the test goes through the public client instead)."""
    app = create_app(emulator_config(servers))
    servers.emulator_board.app = app
    http_client = stripe.HTTPXClient(allow_sync_methods=True)
    client = stripe.StripeClient(
        API_KEY,
        base_addresses={"api": f"http://127.0.0.1:{servers.emulator.port}"},
        http_client=http_client,
        max_network_retries=0,
    )
    store = app.state.emulator.store

    @settings(max_examples=50, deadline=None)
    @given(
        # The library sends nothing for an empty hash, so an empty one cannot round-trip.
        metadata=st.dictionaries(
            _text.filter(lambda k: "[" not in k and "]" not in k), _text, min_size=1, max_size=4
        ),
        amounts=st.lists(st.integers(50, 30_000_000), min_size=1, max_size=3),
        recurring=st.booleans(),
    )
    def round_trip(metadata: dict[str, str], amounts: list[int], recurring: bool) -> None:
        # A subscription session takes one recurring line item.
        amounts = amounts[:1] if recurring else amounts
        data = {"metadata": metadata}
        params: dict[str, Any] = {
            "mode": "subscription" if recurring else "payment",
            "success_url": "https://news.example/thanks",
            "metadata": metadata,
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": amount,
                        "product_data": {"name": "x"},
                        **({"recurring": {"interval": "month"}} if recurring else {}),
                    },
                }
                for amount in amounts
            ],
            "subscription_data" if recurring else "payment_intent_data": data,
        }
        session = client.v1.checkout.sessions.create(params=params)
        record = store.sessions[session.id]
        assert session.metadata.to_dict() == metadata  # type: ignore[union-attr]
        assert [item["price"]["unit_amount"] for item in record.line_items] == amounts
        assert (record.subscription_data if recurring else record.payment_intent_data) == data

    try:
        round_trip()
    finally:
        http_client.close()  # type: ignore[no-untyped-call]
        servers.emulator_board.app = None
