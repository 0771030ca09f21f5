"""Each kind of message, rendered from its templates: what the reader reads, in text and HTML;
a newsroom's own template takes the place of the bundled one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from donations.mail.kinds import Kind
from donations.mail.render import Renderer
from donations.settings import Settings

NEWSROOM = {
    "NEWSROOM_NAME": "The Valley Ledger",
    "NEWSROOM_ADDRESS": "1 Mill Street, Valley Town",
    "RECEIPT_TAX_WORDING": "No goods or services were provided in exchange for this gift.",
    "SITE_URL": "https://give.valleyledger.example",
}
LINK = "https://give.valleyledger.example/mail/card/7?until=1790000000&sig=ab12"
STATEMENT = {
    "year": 2026, "year_name": "2026", "first_day": "2026-01-01", "last_day": "2026-12-31",
    "name": "Ana", "payments": [
        {"date": "2026-03-02", "description": "One-off contribution", "currency": "eur",
         "amount": 2500, "taken_back": 0, "net": 2500},
        {"date": "2026-03-03", "description": "Membership payment", "currency": "eur",
         "amount": 1000, "taken_back": 400, "net": 600},
    ],
    "totals": [{"currency": "eur", "gross": 3500, "taken_back": 400, "net": 3100}],
}  # fmt: skip
# Each kind: its values, its subject, and a line its text must have.
CASES: dict[Kind, tuple[dict[str, Any], str, str]] = {
    Kind.receipt: (
        {"amount": 1000, "currency": "eur", "paid_at": "2026-12-02T09:00:00+00:00",
         "description": "Your monthly membership", "reference": "R-000042",
         "card": {"brand": "visa", "last4": "4242"}},
        "Your receipt from The Valley Ledger: €10.00",
        "Paid with: Visa ending in 4242",
    ),
    Kind.welcome: (
        {"amount": 1000, "currency": "eur", "how_often": "monthly"},
        "Welcome, member of The Valley Ledger",
        "Your monthly membership of €10.00 keeps our journalism free",
    ),
    Kind.renewal_reminder: (
        {"amount": 12000, "currency": "eur", "how_often": "annual",
         "renews_on": "2026-12-09T09:00:00+00:00", "card_update_url": LINK},
        "Your membership of The Valley Ledger renews on 9 December 2026",
        "€120.00 will be charged to the card on file.",
    ),
    Kind.renewal_failed: (
        {"amount": 1200, "currency": "eur", "how_often": "monthly", "card_update_url": LINK},
        "Your membership payment to The Valley Ledger did not go through",
        LINK,
    ),
    Kind.cancellation: (
        {"amount": 1000, "currency": "eur", "how_often": "monthly",
         "ends_on": "2027-01-02T00:00:00+00:00"},
        "Your membership of The Valley Ledger is cancelled",
        "it ends on 2 January 2027, and nothing more will be charged",
    ),
    Kind.refund: (
        {"amount": 400, "currency": "eur", "paid_at": "2026-03-03T10:00:00+00:00",
         "refunded_at": "2026-03-06T10:00:00+00:00"},
        "The Valley Ledger refunded €4.00",
        "We refunded €4.00 of your contribution of 3 March 2026",
    ),
    Kind.statement: (
        STATEMENT,
        "Your 2026 giving statement from The Valley Ledger",
        "Total in EUR: €31.00",
    ),
}  # fmt: skip


def test_every_kind_has_a_case() -> None:
    assert set(CASES) == set(Kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_renders_in_text_and_html(kind: Kind) -> None:
    values, subject, line = CASES[kind]
    rendered = Renderer(Settings(**NEWSROOM)).render(kind, {"to": "ana@example.org", **values})
    assert rendered.subject == subject
    assert line in " ".join(rendered.text.split())
    assert "1 Mill Street, Valley Town" in rendered.text
    assert rendered.html.startswith("<!doctype html>")
    assert "1 Mill Street, Valley Town" in rendered.html
    if kind in (Kind.receipt, Kind.statement):
        assert NEWSROOM["RECEIPT_TAX_WORDING"] in rendered.text
        assert NEWSROOM["RECEIPT_TAX_WORDING"] in rendered.html


def test_a_newsrooms_template_takes_the_place_of_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / "welcome.subject.txt").write_text("Thanks for joining, {{ how_often }} member")
    settings = Settings(MAIL_TEMPLATES_DIR=str(tmp_path), **NEWSROOM)
    values, _, line = CASES[Kind.welcome]
    rendered = Renderer(settings).render(Kind.welcome, values)
    assert rendered.subject == "Thanks for joining, monthly member"
    assert line in " ".join(rendered.text.split())  # the bundled text still
