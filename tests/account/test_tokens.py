"""Signing: what the account hands out cannot be altered, reused for another purpose, or
made without the key; the monthly offer expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from donations.account import offer
from donations.account.tokens import account_key, digest, sign, unsign
from donations.settings import Settings

KEY = b"k" * 32
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_signed_value_reads_back_only_for_its_purpose_and_key() -> None:
    signed = sign(KEY, "sign-in", "abc")
    assert unsign(KEY, "sign-in", signed) == "abc"
    assert unsign(KEY, "session", signed) is None
    assert unsign(b"x" * 32, "sign-in", signed) is None


def test_any_change_to_a_signed_value_is_refused() -> None:
    signed = sign(KEY, "sign-in", "abcdef")
    payload, signature = signed.split(".")
    assert unsign(KEY, "sign-in", "abcdeg." + signature) is None
    assert unsign(KEY, "sign-in", payload + "." + signature[:-1] + "A") is None
    assert unsign(KEY, "sign-in", payload) is None
    assert unsign(KEY, "sign-in", signed + ".x") is None
    assert unsign(KEY, "sign-in", "") is None
    assert unsign(KEY, "sign-in", None) is None


def test_the_key_comes_from_account_secret_else_from_the_webhook_secret() -> None:
    own = Settings(SESSION_SECRET="a" * 32, STRIPE_WEBHOOK_SECRET="whsec_one")
    derived_one = Settings(STRIPE_WEBHOOK_SECRET="whsec_one")
    derived_two = Settings(STRIPE_WEBHOOK_SECRET="whsec_two")
    keys = {account_key(own), account_key(derived_one), account_key(derived_two)}
    assert len(keys) == 3
    # Never the webhook secret itself.
    assert b"whsec_one" not in account_key(derived_one)


def test_the_database_keeps_a_digest_of_a_token_not_the_token() -> None:
    assert digest("token") == "3c469e9d6c5875d37a43f353d4f88e61fcf812c66eee3457465a40b0da4153e0"


def test_a_monthly_offer_reads_back_until_it_expires() -> None:
    signed = offer.make(KEY, amount=2500, currency="eur", session_id="cs_test_1", now=NOW)
    assert offer.read(KEY, signed, now=NOW + timedelta(days=13)) == offer.MonthlyOffer(
        2500, "eur", "cs_test_1", int((NOW + offer.LASTS).timestamp())
    )
    assert offer.read(KEY, signed, now=NOW + timedelta(days=15)) is None


def test_a_monthly_offer_for_another_amount_cannot_be_made_without_the_key() -> None:
    signed = offer.make(KEY, amount=2500, currency="eur", session_id=None, now=NOW)
    payload, signature = signed.split(".")
    forged = payload.replace("2500", "1", 1) + "." + signature
    assert offer.read(KEY, forged, now=NOW) is None
    assert offer.read(KEY, signed, now=NOW) is not None


def test_without_any_secret_the_process_signs_with_its_own_key() -> None:
    stripe_mock = Settings(
        STRIPE_SECRET_KEY="sk_test_123", STRIPE_API_BASE="http://127.0.0.1:12111"
    )
    assert account_key(stripe_mock) == account_key(stripe_mock)
    assert account_key(stripe_mock) != account_key(Settings(STRIPE_WEBHOOK_SECRET="whsec_one"))
