"""An outbox message into what a reader reads: a subject, plain text and HTML.

    Renderer(settings).render(kind, values) -> Rendered(subject, text, html)

Templates are Jinja: donations/templates/mail/ first overridden by MAIL_TEMPLATES_DIR. Every
template sees `newsroom` (name, address, site_url), `tax_wording`, `to`, and the message's
values (its context, completed at delivery from the ledger: the card of a payment, the link to
update a card). Filters: `money(currency)` formats minor units ("€12.50"), `day` an ISO date
or datetime as "2 December 2026". A template that names a value it was not given fails the
message (StrictUndefined): better unsent and shown to staff than sent saying nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from donations import money
from donations.settings import Settings

BUNDLED = Path(__file__).resolve().parent.parent / "templates" / "mail"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def day(value: object) -> str:
    """ "2026-12-02" or a datetime -> "2 December 2026"."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise TypeError(f"not a date: {value!r}")
    return f"{value.day} {value:%B %Y}"


def card_text(brand: str, last4: str) -> str:
    names = {"amex": "American Express", "mastercard": "Mastercard", "visa": "Visa",
             "discover": "Discover", "diners": "Diners Club", "jcb": "JCB",
             "unionpay": "UnionPay"}  # fmt: skip
    return f"{names.get(brand, brand.title())} ending in {last4}"


class Renderer:
    def __init__(self, settings: Settings) -> None:
        folders = [Path(settings.MAIL_TEMPLATES_DIR)] if settings.MAIL_TEMPLATES_DIR else []
        loader = ChoiceLoader([FileSystemLoader([*folders, BUNDLED])])
        self.env = Environment(
            loader=loader,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["money"] = money.format_amount
        self.env.filters["day"] = day
        self.env.filters["card"] = lambda card: card_text(card["brand"], card["last4"])
        self.shared: dict[str, Any] = {
            "newsroom": {
                "name": settings.NEWSROOM_NAME,
                "address": settings.NEWSROOM_ADDRESS,
                "site_url": settings.SITE_URL,
            },
            "tax_wording": settings.RECEIPT_TAX_WORDING,
        }

    def render(self, kind: str, values: dict[str, Any]) -> Rendered:
        values = {**self.shared, **values}
        subject = self.env.get_template(f"{kind}.subject.txt").render(values)
        return Rendered(
            subject=" ".join(subject.split()),
            text=self.env.get_template(f"{kind}.txt").render(values),
            html=self.env.get_template(f"{kind}.html").render(values),
        )
