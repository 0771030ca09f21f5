"""donations/privacy.py on Stripe's own example objects and on events as Stripe sends them:
no personal value survives, every id, amount, currency, status and timestamp does."""

from __future__ import annotations

import copy
import importlib.resources
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from donations.privacy import (
    REDACTED,
    personal_values,
    redact_event,
    redact_json_text,
    redact_text,
)
from stripe_emulator.shapes import shape

Json = dict[str, Any]
Path = tuple[str | int, ...]

# What Stripe's examples themselves say about people (fixtures3.json).
EXAMPLE_PERSONAL_VALUES = (
    "Jenny Rosen",
    "jenny@example.com",
    "example@example.com",
    "1234 Fake Street",
    "+15555555555",
    "AOB934RVNwzk6xtn",
)
# Fields that, in Stripe's API reference, hold a person's name, contact, address, card or
# account details, network identity or their own words; seeded with a marker wherever an
# example has one.
PERSONAL_KEYS = {
    "billing_address", "business_name", "city", "customer_email", "customer_email_address",
    "customer_name", "customer_phone", "customer_purchase_ip", "email", "fingerprint",
    "individual_name", "ip_address", "last4", "line1", "line2", "name", "phone",
    "postal_code", "receipt_email", "shipping_address", "uncategorized_text", "user_agent",
    "verified_email", "verified_name", "verified_phone",
}  # fmt: skip
# The newsroom's own words under those names, not a person's.
# The newsroom's own words: what it calls its products and its coupons.
NOT_PERSONAL = {("product", "name"), ("coupon", "name")}
# Object references kept as ids.
REFERENCES = {"charge", "customer", "invoice", "latest_charge", "payment_intent", "subscription"}
TIMESTAMPS = {
    "billing_cycle_anchor", "created", "current_period_end", "current_period_start", "due_by",
    "due_date", "end", "next_payment_attempt", "period_end", "period_start", "start",
    "start_date", "trial_end", "trial_start",
}  # fmt: skip


def _examples() -> dict[str, Json]:
    text = importlib.resources.files("stripe_emulator").joinpath("fixtures3.json").read_text()
    resources: dict[str, Json] = json.loads(text)["resources"]
    return resources


def _event(obj: Json, previous: Json | None = None) -> Json:
    data: Json = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": "evt_1QxYExample0000000000",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": 1767225600,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": f"{obj.get('object')}.updated",
        "data": data,
    }


def _seed(node: Any, object_type: str, markers: Iterator[str]) -> list[str]:
    """Put a marker in every personal field of `node` (in place); the markers used."""
    seeded: list[str] = []
    if isinstance(node, list):
        for item in node:
            seeded += _seed(item, object_type, markers)
    elif isinstance(node, dict):
        own = node.get("object")
        kind = own if isinstance(own, str) else object_type
        for key, value in node.items():
            personal = key in PERSONAL_KEYS and (kind, key) not in NOT_PERSONAL
            if personal and (value is None or isinstance(value, str)):
                node[key] = next(markers)
                seeded.append(node[key])
            else:
                seeded += _seed(value, kind, markers)
    return seeded


def _figures(node: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every id, amount, currency, status, timestamp and object reference, by path."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _figures(item, (*path, index))
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from _figures(value, (*path, key))
            elif _is_figure(key, value):
                yield (*path, key), value


def _is_figure(key: str, value: Any) -> bool:
    if key in {"id", "object", "currency", "status", "livemode"} or key in REFERENCES:
        return True
    if "amount" in key:
        return True
    return isinstance(value, int) and (key in TIMESTAMPS or key.endswith("_at"))


def _at(node: Any, path: Path) -> Any:
    for step in path:
        node = node[step]
    return node


@pytest.mark.parametrize("object_type", sorted(_examples()))
def test_every_stripe_example_object_loses_its_personal_values_and_keeps_its_figures(
    object_type: str,
) -> None:
    example = copy.deepcopy(_examples()[object_type])
    markers = (f"person-{object_type}-{n}" for n in itertools.count())
    seeded = _seed(example, object_type, markers)
    event = _event(example)
    figures = list(_figures(event))

    redacted = redact_event(event)

    text = json.dumps(redacted)
    survivors = [v for v in (*seeded, *EXAMPLE_PERSONAL_VALUES) if v.lower() in text.lower()]
    assert survivors == []
    assert [(path, _at(redacted, path)) for path, _ in figures] == figures
    assert len(figures) >= 8
    # The input is left as it was: the function is pure.
    assert event == _event(example)


def test_the_examples_carry_personal_values_in_every_object_we_receive() -> None:
    """The walk above proves something only where there was something to remove."""
    seeded = {
        object_type: len(_seed(copy.deepcopy(obj), object_type, iter(itertools.repeat("x"))))
        for object_type, obj in _examples().items()
    }
    for object_type in ("checkout.session", "charge", "customer", "dispute", "invoice",
                        "payment_method"):  # fmt: skip
        assert seeded[object_type] >= 4, object_type
    assert sum(seeded.values()) >= 60


def test_the_newsrooms_own_words_stay() -> None:
    product, charge = shape("product"), shape("charge")
    assert redact_event(_event(product))["data"]["object"]["name"] == "T-shirt"
    kept = redact_event(_event(charge))["data"]["object"]
    assert kept["description"] == "My First Test Charge (created for API docs)"
    assert (kept["amount"], kept["currency"], kept["status"]) == (100, "usd", "succeeded")


def test_a_copy_of_the_readers_name_in_free_text_is_replaced_too() -> None:
    charge = shape(
        "charge",
        billing_details={"address": None, "email": None, "name": "Ana López", "phone": None,
                         "tax_id": None},
        description="Contribution from Ana López (via ANA LÓPEZ's employer)",
        statement_descriptor="NEWSROOM",
    )  # fmt: skip

    redacted = redact_event(_event(charge))["data"]["object"]

    assert redacted["billing_details"]["name"] is None
    assert redacted["description"] == f"Contribution from {REDACTED} (via {REDACTED}'s employer)"
    assert redacted["statement_descriptor"] == "NEWSROOM"


def test_metadata_keeps_only_the_keys_the_ledger_reads() -> None:
    metadata = {"checkout_id": "chk_1", "frequency": "monthly", "source": "newsletter",
                "crm_contact": "ana.lopez@example.org", "order_id": "123456789"}  # fmt: skip
    subscription = shape("subscription", metadata=metadata)

    redacted = redact_event(_event(subscription))["data"]["object"]

    assert redacted["metadata"] == {
        "checkout_id": "chk_1", "frequency": "monthly", "source": "newsletter"
    }  # fmt: skip


def test_an_updated_events_previous_attributes_lose_the_old_details() -> None:
    customer = shape("customer", id="cus_Ana", email="ana.lopez@example.org", name="Ana López")
    previous = {"email": "ana@old.example", "name": "Ana Lopez-Old", "balance": 0,
                "address": {"line1": "Alte Straße 1", "city": "Köln", "country": "DE",
                            "line2": None, "postal_code": "50667", "state": None}}  # fmt: skip

    redacted = redact_event(_event(customer, previous))

    assert redacted["data"]["previous_attributes"] == {
        "email": None, "name": None, "balance": 0,
        "address": {"line1": None, "city": None, "country": None, "line2": None,
                    "postal_code": None, "state": None},
    }  # fmt: skip
    assert redacted["data"]["object"]["id"] == "cus_Ana"
    assert {"ana.lopez@example.org", "Ana López", "ana@old.example", "Alte Straße 1"} <= (
        personal_values(_event(customer, previous))
    )


def test_events_in_older_api_versions_lose_the_same_details() -> None:
    # Before 2022-11-15 a PaymentIntent carried its charges; before 2022-08-01 a Checkout
    # Session carried `shipping`, and until 2025-03-31 `shipping_details`.
    person = {"address": {"line1": "Torstraße 109", "city": "Berlin", "country": "DE",
                          "line2": None, "postal_code": "10119", "state": None},
              "name": "Ana López"}  # fmt: skip
    charge = shape("charge", id="ch_old", billing_details={**person, "email": None,
                                                           "phone": None, "tax_id": None})  # fmt: skip
    intent = shape("payment_intent", id="pi_old", charges={"object": "list", "data": [charge],
                                                           "has_more": False, "url": "/v1/x"})  # fmt: skip
    session = shape("checkout.session", id="cs_old", shipping=person, shipping_details=person)

    for obj in (intent, session):
        text = json.dumps(redact_event(_event(obj)))
        assert "Ana L" not in text and "Torstra" not in text
    redacted_intent = redact_event(_event(intent))["data"]["object"]
    assert redacted_intent["charges"]["data"][0]["id"] == "ch_old"


def test_retention_keeps_the_email_only_where_it_is_the_sole_key_to_the_supporter() -> None:
    details = {"address": None, "business_name": None, "email": "ana.lopez@example.org",
               "individual_name": None, "name": "Ana López", "phone": "+49 30 901820",
               "tax_exempt": "none", "tax_ids": []}  # fmt: skip

    def kept(**fields: Any) -> Json:
        session = shape("checkout.session", customer_details=details, **fields)
        redacted: Json = redact_event(_event(session), keep_identity=True)["data"]["object"]
        return redacted["customer_details"]

    # A Payment Link prefilled with the address repeats it in `customer_email`.
    payment_link = kept(status="complete", customer=None, customer_email="Ana.Lopez@example.org")
    assert (payment_link["email"], payment_link["name"], payment_link["phone"]) == (
        "ana.lopez@example.org", None, None,
    )  # fmt: skip
    assert kept(status="complete", customer="cus_Ana")["email"] is None
    assert kept(status="expired", customer=None)["email"] is None
    erased = redact_event(_event(shape("checkout.session", customer_details=details,
                                       status="complete", customer=None)))  # fmt: skip
    assert erased["data"]["object"]["customer_details"]["email"] is None


def test_error_texts_lose_the_values_and_every_email_address() -> None:
    error = (
        "IntegrityError: (sqlite3.IntegrityError) CHECK constraint failed: "
        "ck_checkout_amount_non_negative [SQL: INSERT INTO checkout ...] [parameters: "
        "('chk_1', 'cs_test_a1', -1500, 'eur', 'one_off', 'ana.lopez@example.org', "
        "'Ana López', 'other@example.net')]"
    )

    scrubbed = redact_text(error, {"Ana López"}, all_emails=True)

    assert scrubbed == (
        "IntegrityError: (sqlite3.IntegrityError) CHECK constraint failed: "
        "ck_checkout_amount_non_negative [SQL: INSERT INTO checkout ...] [parameters: "
        f"('chk_1', 'cs_test_a1', -1500, 'eur', 'one_off', '{REDACTED}', "
        f"'{REDACTED}', '{REDACTED}')]"
    )


def test_json_text_keeps_its_numbers_when_a_chased_value_looks_like_one() -> None:
    snapshot = json.dumps({"net": 10119, "name": "Ana López's campaign", "code": "10119"})

    scrubbed = redact_json_text(snapshot, {"10119", "Ana López"})

    assert json.loads(scrubbed) == {
        "net": 10119, "name": f"{REDACTED}'s campaign", "code": REDACTED
    }  # fmt: skip
    assert redact_json_text("exported for ana.lopez@example.org", {"ana.lopez@example.org"}) == (
        f"exported for {REDACTED}"
    )
