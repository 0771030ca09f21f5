"""The newsroom's look: name, logo, colour from the settings, templates from TEMPLATE_DIR,
the favicon; and covering the fee worked out as Stripe charges it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import ValidationError

from donations.checkout.cover import FeeCover
from donations.settings import Settings
from donations.web.brand import readable_on, use_template_folder
from tests.support.apps import asgi_client, running_app


@pytest_asyncio.fixture
async def branded(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    folder = tmp_path / "newsroom"
    (folder / "contribute").mkdir(parents=True)
    (folder / "static").mkdir()
    (folder / "contribute" / "membership.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="ours">Call us: {{ brand.name }}'
        "</p>{% endblock %}"
    )
    (folder / "static" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    changed = settings.model_copy(
        update={
            "NEWSROOM_NAME": "The Harbour Ledger",
            "NEWSROOM_URL": "https://news.example/",
            "BRAND_LOGO_URL": "https://cdn.news.example/logo.svg",
            "BRAND_COLOR": "#f2c500",
            "TEMPLATE_DIR": folder,
        }
    )
    try:
        async with running_app(changed) as app, asgi_client(app) as http:
            yield http
    finally:
        use_template_folder(None)


@pytest.mark.asyncio
async def test_the_pages_wear_the_newsrooms_name_logo_and_colour(
    branded: httpx.AsyncClient,
) -> None:
    page = await branded.get("/contribute")
    assert page.status_code == 200
    assert "<title>Contribute · The Harbour Ledger</title>" in page.text
    assert '<a href="https://news.example/" class="newsroom">' in page.text
    assert (
        '<img src="https://cdn.news.example/logo.svg" alt="The Harbour Ledger" class="logo">'
        in page.text
    )
    assert "keeps The Harbour Ledger open" in page.text
    # The logo's site may serve images to the page; nothing else changes.
    assert page.headers["content-security-policy"].startswith(
        "default-src 'self'; style-src 'self'; img-src 'self' https://cdn.news.example data:;"
    )
    css = await branded.get("/brand.css")
    # Yellow is light: text on it is near-black.
    assert css.text == ":root{--accent:#f2c500;--on-accent:#111}\n"
    assert css.headers["content-type"].startswith("text/css")
    icon = await branded.get("/favicon.svg")
    assert icon.headers["content-type"] == "image/svg+xml"
    assert 'fill="#f2c500"' in icon.text and ">T</text>" in icon.text


@pytest.mark.asyncio
async def test_a_template_in_the_newsrooms_folder_replaces_ours(
    branded: httpx.AsyncClient,
) -> None:
    page = await branded.get("/membership")
    assert '<p id="ours">Call us: The Harbour Ledger</p>' in page.text
    logo = await branded.get("/brand/logo.svg")
    assert logo.status_code == 200
    # Ours are still there for every page the folder does not replace.
    assert 'id="contribute"' in (await branded.get("/contribute")).text


@pytest.mark.asyncio
async def test_without_settings_the_pages_have_a_plain_name_and_favicon(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/contribute")
    assert '<span class="newsroom">' in page.text and "Our newsroom" in page.text
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in page.text
    icon = await client.get("/favicon.ico")
    assert 'fill="#0b5cad"' in icon.text and ">O</text>" in icon.text
    assert (await client.get("/brand.css")).text == ":root{--accent:#0b5cad;--on-accent:#fff}\n"


@pytest.mark.parametrize(
    ("name", "value"),
    [("BRAND_COLOR", "blue"), ("BRAND_LOGO_URL", "javascript:alert(1)"),
     ("TEMPLATE_DIR", "/no/such/folder"), ("FEE_COVER_PERCENT", "60"),
     ("DEFAULT_FREQUENCY", "weekly")],
)  # fmt: skip
def test_bad_brand_settings_refuse_to_start(name: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{name: value})  # type: ignore[arg-type]
    assert caught.value.errors()[0]["loc"] == (name,)


def test_readable_text_on_the_colour() -> None:
    assert [readable_on(c) for c in ("#0b5cad", "#8a1538", "#f2c500", "#ffffff", "#000000")] == [
        "#fff", "#fff", "#111", "#111", "#fff",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("gift", "currency", "fee"),
    [(1000, "eur", 41), (500, "eur", 33), (1200, "eur", 44), (10000, "eur", 178),
     (1000, "jpy", 16), (1, "eur", 26)],
)  # fmt: skip
def test_the_covered_fee_leaves_the_whole_gift_after_stripes_fee(
    gift: int, currency: str, fee: int
) -> None:
    cover = FeeCover(Decimal("1.5"), Decimal("0.25"))
    assert cover.fee(gift, currency) == fee
    charged = gift + fee
    fixed = 25 if currency == "eur" else 0
    # What Stripe keeps: round(charge × 1.5%) + fixed; what arrives is never less than the gift.
    kept = int((Decimal(charged) * Decimal("0.015")).quantize(Decimal(1))) + fixed
    assert charged - kept >= gift
    assert cover.describe(currency) == ("1.5% + €0.25" if currency == "eur" else "1.5%")
    assert FeeCover(Decimal(0), Decimal(0)).fee(gift, currency) == 0
