"""Settings: one class, fields named exactly as their environment variables.

Values come from the environment, then `.env`, then the defaults below, which run the
service on an embedded SQLite file and, without a Stripe key, on the local Stripe emulator.

Each value is read once, when the settings are made: a bad one refuses to start with one
line naming it. What is used as something other than text is there in its type:
`report_zone` (a ZoneInfo) and `offer` (what the form offers, in minor units per currency).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from donations import money, production
from donations.frequency import Frequency

MIN_METRICS_TOKEN = 32
MIN_SESSION_SECRET = 32
SHORT_METRICS_TOKEN = (
    f"must be at least {MIN_METRICS_TOKEN} ASCII characters (e.g. `openssl rand -hex 32`)"
)


UNKNOWN_ZONE = "{name!r} is not a known time zone"
NOT_A_MONTH_DAY = "{text!r} is not a month and day like 07-01 that every year has"
# QuickBooks Online account names are at most 100 characters; Xero codes are shorter.
MAX_ACCOUNT_NAME = 100
BAD_ACCOUNT = f"must name an account (1 to {MAX_ACCOUNT_NAME} characters)"


_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
BAD_COLOUR = "must be a colour like #0b5cad"
# A rate in the `limits` library's notation: 5/hour, 10 per minute, 100/2 hours.
RATE = re.compile(
    r"\s*[0-9]+\s*(/|per)\s*([0-9]+\s*)?(second|minute|hour|day|month|year)s?\s*",
    re.IGNORECASE,
)
BAD_ADDRESS = "must be an https:// address, or a path on this site starting with /"


class ConfigurationError(RuntimeError):
    """A setting that stops the service from starting; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    ENVIRONMENT: Literal["development", "production"] = "development"

    # Database
    DATABASE_URL: str = "sqlite:///./donations.db"
    REPORTS_DATABASE_URL: str | None = None

    # Stripe. With no secret key the service runs against the bundled emulator.
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE: str | None = None
    STRIPE_PORTAL_LOGIN_URL: str | None = None

    # The reader's side
    SITE_URL: str = "http://127.0.0.1:8000"
    ALLOWED_ORIGINS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    CURRENCIES: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["eur"])
    DEFAULT_CURRENCY: str = "eur"
    # "one_off:5,10,25;monthly:5,*10,20;annual:50,100,200" in major units of each currency,
    # * marking the preselected one (else the middle one); campaigns may set their own.
    SUGGESTED_AMOUNTS: str = "one_off:5,10,25,50;monthly:5,10,20;annual:50,100,200"
    MAX_AMOUNT: Decimal = Decimal("10000.00")
    # Preselected on the form where no campaign or placement says otherwise.
    DEFAULT_FREQUENCY: Frequency = Frequency.monthly
    # Covering the fee: the gift grows by PERCENT of the whole charge plus FIXED (major units),
    # Stripe's price for the account (donations/checkout/cover.py); both 0: not offered.
    FEE_COVER_PERCENT: Decimal = Field(default=Decimal("1.5"), ge=0, lt=50)
    FEE_COVER_FIXED: Decimal = Field(default=Decimal("0.25"), ge=0)
    # The newsroom the reader's pages are for: its name, home page, logo and colour.
    NEWSROOM_NAME: str = "Our newsroom"
    NEWSROOM_URL: str | None = None
    BRAND_LOGO_URL: str | None = None
    BRAND_COLOR: str = "#0b5cad"
    # A folder of templates that replace ours by name (contribute/form.html, base.html …);
    # its static/ subfolder is served at /brand/ (a logo, a favicon).
    TEMPLATE_DIR: Path | None = None
    CHECKOUT_RATE_LIMIT: str = "10/minute"
    TRUSTED_PROXIES: Annotated[list[str], NoDecode] = Field(default_factory=list)
    REDIS_URL: str | None = None

    # Time limits, in seconds: what one slow or hung part may cost a request (docs/operations.md, "Time limits").
    DATABASE_CONNECT_TIMEOUT: float = Field(default=5.0, gt=0)
    # Any one statement; on SQLite, how long a writer waits for the database's write lock.
    DATABASE_STATEMENT_TIMEOUT: float = Field(default=15.0, gt=0)
    # Each attempt of a Stripe API call (up to 3 attempts: stripe_api.NETWORK_RETRIES).
    STRIPE_TIMEOUT: float = Field(default=8.0, gt=0)
    # A whole request, until its response starts (a CSV export streams on after that).
    REQUEST_TIMEOUT: float = Field(default=30.0, gt=0)
    # Receiving a request's body, from the first read to the last byte.
    BODY_READ_TIMEOUT: float = Field(default=10.0, gt=0)
    # Worker processes serving the app (`donations serve --workers` sets it): without Redis,
    # each process allows CHECKOUT_RATE_LIMIT divided by this.
    WEB_CONCURRENCY: int = Field(default=1, ge=1)

    # Finance
    REPORT_TIMEZONE: str = "UTC"
    # The first day of the fiscal year, MM-DD (07-01: July to June). The period and members
    # reports cover the fiscal year so far unless told otherwise; --fiscal-year 2026 is the
    # fiscal year that ends in 2026.
    FISCAL_YEAR_START: str = "01-01"

    # Payouts and journals (docs/accounting.md, "Payouts and journals").
    # Days after which a payment, refund or dispute that no payout holds is a mismatch.
    PAYOUT_WITHIN_DAYS: int = Field(default=7, ge=1)
    # The accounts journals are written to: Xero account codes, or QuickBooks account names.
    ACCOUNT_BANK: str = "1000"
    ACCOUNT_STRIPE_CLEARING: str = "1050"
    ACCOUNT_DONATIONS_ONE_OFF: str = "4000"
    ACCOUNT_DONATIONS_RECURRING: str = "4010"
    ACCOUNT_REFUNDS: str = "4900"
    ACCOUNT_DISPUTES: str = "4910"
    ACCOUNT_STRIPE_FEES: str = "6100"
    # Xero's TaxRate column: the name of a tax rate in the organisation's Xero settings.
    JOURNAL_TAX_RATE: str = "Tax Exempt"
    # QuickBooks' Journal Date, as the company's region writes dates.
    QUICKBOOKS_DATE_FORMAT: Literal["MM/DD/YYYY", "DD/MM/YYYY"] = "MM/DD/YYYY"

    # Email to readers (docs/mail.md). With no SMTP_URL, development writes .eml files to
    # MAIL_DIR; production refuses to start without SMTP_URL unless MAIL_ENABLED=false.
    MAIL_ENABLED: bool = True
    # smtp://user:password@host:587 (STARTTLS when the server offers it, and required with a
    # password; ?starttls=required insists, ?starttls=off never), smtps://… (TLS from the
    # first byte, port 465).
    SMTP_URL: str | None = None
    SMTP_TIMEOUT: float = Field(default=20.0, gt=0)
    MAIL_FROM: str = "donations@localhost"
    MAIL_REPLY_TO: str | None = None
    MAIL_DIR: str = "./mail"
    # A folder of templates that take the place of the bundled ones with the same name.
    MAIL_TEMPLATES_DIR: str | None = None
    NEWSROOM_ADDRESS: str = ""
    # Said on every receipt and statement, e.g. a US 501(c)(3)'s "No goods or services were
    # provided in exchange for this contribution."
    RECEIPT_TAX_WORDING: str = ""
    # Kinds never sent: receipt, welcome, renewal_reminder, renewal_failed, cancellation,
    # refund, statement (comma-separated).
    MAIL_DISABLED_KINDS: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # A message queued longer than this after what caused it is never sent (a backfill).
    MAIL_MAX_EVENT_AGE_HOURS: float = Field(default=48.0, gt=0)
    # Seconds a message waits before its first attempt (the card's event may follow).
    MAIL_SETTLE_SECONDS: float = Field(default=5.0, ge=0)
    MAIL_MAX_ATTEMPTS: int = Field(default=8, ge=1)

    # Supporter accounts (docs/account.md). The secret signs sign-in links, session cookies,
    # and the thanks page's offer to give monthly; unset: derived from the webhook signing
    # secret (which production requires to be a real one).
    SESSION_SECRET: str | None = None
    ACCOUNT_LINK_MINUTES: int = Field(default=30, ge=1, le=24 * 60)
    ACCOUNT_SESSION_HOURS: int = Field(default=12, ge=1, le=24 * 30)
    # Sign-in links asked for, per email address and per client address.
    ACCOUNT_EMAIL_RATE_LIMIT: str = "5/hour"
    ACCOUNT_CLIENT_RATE_LIMIT: str = "20/hour"

    # Privacy: days a booked Stripe event keeps its personal fields before
    # `donations privacy purge` empties them (donations/retention.py).
    PRIVACY_RETENTION_DAYS: int = Field(default=90, ge=1)
    # Operations: who may read GET /metrics, and how log lines look
    METRICS_TOKEN: str | None = None
    LOG_FORMAT: Literal["text", "json"] = "text"

    @field_validator("ALLOWED_ORIGINS", "TRUSTED_PROXIES", "MAIL_DISABLED_KINDS", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("CURRENCIES", mode="before")
    @classmethod
    def _split_currencies(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("CURRENCIES")
    @classmethod
    def _stripe_currencies(cls, value: list[str]) -> list[str]:
        return [money.normalize_currency(code) for code in value]

    @field_validator("DEFAULT_CURRENCY")
    @classmethod
    def _stripe_currency(cls, value: str) -> str:
        return money.normalize_currency(value)

    @field_validator("BRAND_COLOR")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        if not _HEX_COLOUR.match(value.strip()):
            raise ValueError(BAD_COLOUR)
        return value.strip().lower()

    @field_validator("BRAND_LOGO_URL", "NEWSROOM_URL")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://", "/")):
            raise ValueError(BAD_ADDRESS)
        return value

    @field_validator("TEMPLATE_DIR")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{str(value)!r} is not a folder")
        return value

    @field_validator("REPORT_TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @field_validator("FISCAL_YEAR_START")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month_day(value)
        return value

    @field_validator(
        "ACCOUNT_BANK",
        "ACCOUNT_STRIPE_CLEARING",
        "ACCOUNT_DONATIONS_ONE_OFF",
        "ACCOUNT_DONATIONS_RECURRING",
        "ACCOUNT_REFUNDS",
        "ACCOUNT_DISPUTES",
        "ACCOUNT_STRIPE_FEES",
        "JOURNAL_TAX_RATE",
    )
    @classmethod
    def _named(cls, value: str) -> str:
        value = value.strip()
        if not value or len(value) > MAX_ACCOUNT_NAME:
            raise ValueError(BAD_ACCOUNT)
        return value

    @field_validator("METRICS_TOKEN")
    @classmethod
    def _long_token(cls, value: str | None) -> str | None:
        if not value:  # METRICS_TOKEN= in .env: no token
            return None
        if len(value) < MIN_METRICS_TOKEN or not value.isascii():
            raise ValueError(SHORT_METRICS_TOKEN)
        return value

    @field_validator("SMTP_URL")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if not value:  # SMTP_URL= in .env: none
            return None
        if not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @field_validator("SESSION_SECRET")
    @classmethod
    def _unset_when_empty(cls, value: str | None) -> str | None:
        if not value:  # SESSION_SECRET= in .env: none
            return None
        if len(value) < MIN_SESSION_SECRET:
            raise ValueError(
                f"must be at least {MIN_SESSION_SECRET} characters (e.g. `openssl rand -hex 32`)"
            )
        return value

    @field_validator("CHECKOUT_RATE_LIMIT", "ACCOUNT_EMAIL_RATE_LIMIT", "ACCOUNT_CLIENT_RATE_LIMIT")
    @classmethod
    def _rate(cls, value: str) -> str:
        # The `limits` library reads these; checked here by its notation rather than by
        # importing it, which would cost every command ~50 ms of start-up.
        if not RATE.fullmatch(value):
            raise ValueError(f"{value!r} is not a rate like 5/hour or 10 per minute")
        return value

    @field_validator("SITE_URL")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_currency_is_allowed(self) -> Settings:
        if self.DEFAULT_CURRENCY not in self.CURRENCIES:
            raise ValueError(
                f"DEFAULT_CURRENCY {self.DEFAULT_CURRENCY!r} is not in CURRENCIES {self.CURRENCIES}"
            )
        return self

    @model_validator(mode="after")
    def _offer_parsed_at_start(self) -> Settings:
        # Parsed now, once, so that no reader's request pays for it.
        self.offer  # noqa: B018
        return self

    @property
    def report_zone(self) -> ZoneInfo:
        """REPORT_TIMEZONE: where days and months begin for campaigns and reports."""
        return zone_named(self.REPORT_TIMEZONE)

    @property
    def fiscal_year_start(self) -> tuple[int, int]:
        """FISCAL_YEAR_START as (month, day)."""
        return month_day(self.FISCAL_YEAR_START)

    @property
    def offer(self) -> Offer:
        """CURRENCIES, DEFAULT_CURRENCY and SUGGESTED_AMOUNTS, amounts in minor units (the
        maximum is the checkout rules', donations/checkout/rules.py)."""
        return _offer(tuple(self.CURRENCIES), self.DEFAULT_CURRENCY, self.SUGGESTED_AMOUNTS)

    @property
    def uses_emulator(self) -> bool:
        """No Stripe key: development runs against the bundled emulator."""
        return not self.STRIPE_SECRET_KEY

    @property
    def stripe_livemode(self) -> bool:
        return bool(
            self.STRIPE_SECRET_KEY and self.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))
        )

    def check_production(self) -> None:
        """Refuse to run production with a secret anyone could have, or a plain-http SITE_URL
        (donations/production.py says what and why)."""
        if self.ENVIRONMENT != "production":
            return
        reason = production.refusal(self)
        if reason is not None:
            raise ConfigurationError(reason)


@dataclass(frozen=True)
class Suggestion:
    text: str  # as SUGGESTED_AMOUNTS writes it (without the *), and as the form sends it back
    amount: int  # in minor units of the currency it is offered in
    # The one chosen when the page opens: marked with * ("5,*10,20"), else the middle one.
    preselected: bool = False


@dataclass(frozen=True)
class Offer:
    """What the /contribute form offers: currencies, the preselected one, and suggested amounts
    per currency and frequency (those a currency cannot express left out)."""

    currencies: tuple[str, ...]
    default_currency: str
    suggestions: Mapping[str, Mapping[Frequency, tuple[Suggestion, ...]]]


def zone_named(name: str) -> ZoneInfo:
    """The time zone called `name` (zoneinfo keeps one instance per name); ValueError if none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(UNKNOWN_ZONE.format(name=name)) from None


def month_day(text: str) -> tuple[int, int]:
    """ "07-01" -> (7, 1); ValueError for anything else, and for 02-29, which most years lack."""
    month, dash, day = text.partition("-")
    if not (dash and len(month) == len(day) == 2 and month.isdigit() and day.isdigit()):
        raise ValueError(NOT_A_MONTH_DAY.format(text=text))
    try:
        date(2025, int(month), int(day))  # a year without 29 February
    except ValueError:
        raise ValueError(NOT_A_MONTH_DAY.format(text=text)) from None
    return int(month), int(day)


def suggested_amounts(text: str) -> dict[Frequency, list[str]]:
    """SUGGESTED_AMOUNTS ("one_off:5,10;monthly:5") -> major-unit texts per frequency.

    A malformed part is skipped: the form still offers a custom amount.
    """
    suggestions: dict[Frequency, list[str]] = {frequency: [] for frequency in Frequency}
    for part in text.split(";"):
        name, _, amounts = part.partition(":")
        if name.strip() in Frequency.__members__:
            suggestions[Frequency(name.strip())] = [
                amount.strip() for amount in amounts.split(",") if amount.strip()
            ]
    return suggestions


PRESELECT = "*"


@lru_cache(maxsize=8)
def _offer(currencies: tuple[str, ...], default: str, suggested: str) -> Offer:
    return Offer(currencies, default, offered_amounts(currencies, suggested))


@lru_cache(maxsize=64)
def offered_amounts(
    currencies: tuple[str, ...], suggested: str
) -> Mapping[str, Mapping[Frequency, tuple[Suggestion, ...]]]:
    """SUGGESTED_AMOUNTS' format, parsed in each currency: a text the currency cannot express
    (5.5 in yen) is left out, and one amount per frequency is preselected."""
    texts = suggested_amounts(suggested)
    suggestions = {}
    for currency in currencies:
        per_frequency = {}
        for frequency, amounts in texts.items():
            offered = []
            for text in amounts:
                plain = text.lstrip(PRESELECT).strip()
                try:
                    amount = money.parse_amount(plain, currency)
                except money.MoneyError:
                    continue
                offered.append(Suggestion(plain, amount, text.startswith(PRESELECT)))
            per_frequency[frequency] = _one_preselected(offered)
        suggestions[currency] = MappingProxyType(per_frequency)
    return MappingProxyType(suggestions)


def _one_preselected(offered: list[Suggestion]) -> tuple[Suggestion, ...]:
    marked = [index for index, each in enumerate(offered) if each.preselected]
    chosen = marked[0] if marked else (len(offered) - 1) // 2
    return tuple(
        Suggestion(each.text, each.amount, index == chosen) for index, each in enumerate(offered)
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
