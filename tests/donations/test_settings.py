from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from donations.db import async_url, sync_url
from donations.models import Frequency
from donations.settings import Settings


def test_defaults_run_on_sqlite_and_the_emulator() -> None:
    settings = Settings()
    assert settings.DATABASE_URL == "sqlite:///./donations.db"
    assert settings.uses_emulator is True
    assert settings.CURRENCIES == ["eur"]
    assert settings.CHECKOUT_RATE_LIMIT == "10/minute"


def test_lists_are_read_from_comma_separated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURRENCIES", "EUR, gbp,usd")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://news.example, https://www.news.example")
    settings = Settings()
    assert settings.CURRENCIES == ["eur", "gbp", "usd"]
    assert settings.ALLOWED_ORIGINS == ["https://news.example", "https://www.news.example"]


def test_every_currency_stripe_supports_may_be_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURRENCIES", "eur,KWD,jpy,isk")
    monkeypatch.setenv("DEFAULT_CURRENCY", "KWD")
    settings = Settings()
    assert (settings.CURRENCIES, settings.DEFAULT_CURRENCY) == (["eur", "kwd", "jpy", "isk"], "kwd")


@pytest.mark.parametrize(
    ("variable", "value"), [("CURRENCIES", "eur,xyz"), ("DEFAULT_CURRENCY", "euro")]
)
def test_a_currency_stripe_does_not_take_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    code = value.split(",")[-1]
    assert _refusal(monkeypatch, variable, value) == (
        (variable,),
        f"{code!r} is not a currency Stripe supports",
    )


def test_a_currency_stripe_does_not_take_stops_the_cli_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "donations", "campaign", "list"],
        capture_output=True,
        text=True,
        env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'donations.db'}",
            "CURRENCIES": "eur,xyz",
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: CURRENCIES: 'xyz' is not a currency Stripe supports\n"


@pytest.mark.parametrize(
    ("url", "for_app", "for_alembic"),
    [
        (
            "sqlite:///./donations.db",
            "sqlite+aiosqlite:///./donations.db",
            "sqlite:///./donations.db",
        ),
        (
            "postgresql://u:p@db:5432/news",
            "postgresql+asyncpg://u:p@db:5432/news",
            "postgresql+psycopg://u:p@db:5432/news",
        ),
        (
            "postgres://u@db/news",
            "postgresql+asyncpg://u@db/news",
            "postgresql+psycopg://u@db/news",
        ),
    ],
)
def test_plain_database_urls_are_mapped_to_drivers(
    url: str, for_app: str, for_alembic: str
) -> None:
    assert async_url(url) == for_app
    assert sync_url(url) == for_alembic


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL must be sqlite or postgresql, not 'mysql'"):
        async_url("mysql://root@localhost/news")


def test_a_time_zone_that_does_not_exist_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _refusal(monkeypatch, "REPORT_TIMEZONE", "Europe/Atlantis") == (
        ("REPORT_TIMEZONE",),
        "'Europe/Atlantis' is not a known time zone",
    )


@pytest.mark.parametrize(
    "name", ["CHECKOUT_RATE_LIMIT", "ACCOUNT_EMAIL_RATE_LIMIT", "ACCOUNT_CLIENT_RATE_LIMIT"]
)
@pytest.mark.parametrize("rate", ["5/fortnight", "5", "five/hour", "5/hour;1/day", ""])
def test_a_rate_limit_that_is_not_a_rate_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, rate: str
) -> None:
    assert _refusal(monkeypatch, name, rate) == (
        (name,),
        f"{rate!r} is not a rate like 5/hour or 10 per minute",
    )


@pytest.mark.parametrize(
    ("rate", "amount", "seconds"),
    [
        ("5/hour", 5, 3600),
        ("10 per minute", 10, 60),
        ("100/2 hours", 100, 7200),
        ("3 Per Day", 3, 86400),
    ],
)
def test_every_notation_the_rate_limiter_reads_is_accepted(
    monkeypatch: pytest.MonkeyPatch, rate: str, amount: int, seconds: int
) -> None:
    from limits import parse

    monkeypatch.setenv("CHECKOUT_RATE_LIMIT", rate)
    accepted = Settings().CHECKOUT_RATE_LIMIT
    limit = parse(accepted)  # what the rate limiter will read
    assert (accepted, limit.amount, limit.get_expiry()) == (rate, amount, seconds)


def test_the_report_zone_and_the_offer_are_read_once_into_their_types(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORT_TIMEZONE", "Europe/Dublin")
    monkeypatch.setenv("CURRENCIES", "eur,jpy")
    monkeypatch.setenv("SUGGESTED_AMOUNTS", "one_off:5,12.50;monthly:1000")
    settings = Settings()
    assert settings.report_zone.key == "Europe/Dublin"
    assert settings.report_zone is Settings().report_zone
    offer = settings.offer
    assert offer is Settings().offer
    eur, jpy = offer.suggestions["eur"], offer.suggestions["jpy"]
    assert [(each.text, each.amount) for each in eur[Frequency.one_off]] == [
        ("5", 500),
        ("12.50", 1250),
    ]
    # Yen have no decimals: 12.50 is not an amount in yen, so it is not offered.
    assert [(each.text, each.amount) for each in jpy[Frequency.one_off]] == [("5", 5)]
    assert [each.amount for each in eur[Frequency.monthly]] == [100_000]
    assert eur[Frequency.annual] == ()


def _refusal(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> tuple[tuple[str | int, ...], str]:
    """Where and why Settings refuses `variable` set to `value` (the one error it raises)."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    [error] = raised.value.errors()
    return error["loc"], str(error["ctx"]["error"])
