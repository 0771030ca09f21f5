"""The newsroom's look on the reader's pages: its name, logo, colour and favicon.

    GET /brand.css      the colour (BRAND_COLOR) as CSS variables: pages allow no inline style
    GET /favicon.svg    TEMPLATE_DIR/static/favicon.svg, else the name's initial on the colour
    GET /favicon.ico    the same (browsers ask for it when a page names none)
    /brand/...          TEMPLATE_DIR/static, for a logo and whatever the newsroom's templates use

`use_template_folder(TEMPLATE_DIR)` puts the newsroom's templates before ours: a file there
named like one of ours (contribute/form.html, base.html, …) replaces it. Every template sees
`brand` (`Brand`): name, home page, logo, colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from donations.settings import Settings
from donations.state import app_state
from donations.web.templates import templates

CACHE = "public, max-age=3600"
_OURS: BaseLoader | None = templates.env.loader


@dataclass(frozen=True)
class Brand:
    name: str
    url: str | None
    logo_url: str | None
    color: str
    on_color: str  # text on the colour: black or white, whichever reads better

    @classmethod
    def of(cls, settings: Settings) -> Brand:
        return cls(
            settings.NEWSROOM_NAME,
            settings.NEWSROOM_URL,
            settings.BRAND_LOGO_URL,
            settings.BRAND_COLOR,
            readable_on(settings.BRAND_COLOR),
        )


def readable_on(colour: str) -> str:
    """#fff or #111 on `colour` (#rrggbb), by WCAG's relative luminance: the one with more
    contrast (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with white (1.05 / (L + 0.05)) against with near-black ((L + 0.05) / 0.0571).
    return "#fff" if 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0571 else "#111"


def image_origin(settings: Settings) -> str | None:
    """The logo's origin when it is on another site, for the pages' Content-Security-Policy."""
    logo = settings.BRAND_LOGO_URL
    if not logo or logo.startswith("/"):
        return None
    parts = urlsplit(logo)
    return f"{parts.scheme}://{parts.netloc}"


def _brand_context(request: Request) -> dict[str, Any]:
    return {"brand": Brand.of(app_state(request).settings)}


def use_template_folder(folder: Path | None) -> None:
    """The newsroom's templates first, ours behind them (None: ours alone)."""
    assert _OURS is not None
    if folder is None:
        templates.env.loader = _OURS
    else:
        templates.env.loader = ChoiceLoader([FileSystemLoader(folder), _OURS])


if _brand_context not in templates.context_processors:
    templates.context_processors.append(_brand_context)


async def brand_css(request: Request) -> Response:
    brand = Brand.of(app_state(request).settings)
    css = f":root{{--accent:{brand.color};--on-accent:{brand.on_color}}}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": CACHE})


async def favicon(request: Request) -> Response:
    settings = app_state(request).settings
    if settings.TEMPLATE_DIR is not None:
        own = settings.TEMPLATE_DIR / "static" / "favicon.svg"
        if own.is_file():
            return FileResponse(own, media_type="image/svg+xml", headers={"Cache-Control": CACHE})
    brand = Brand.of(settings)
    initial = escape((brand.name.strip()[:1] or "N").upper())
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{brand.color}"/>'
        '<text x="32" y="45" text-anchor="middle" font-family="Georgia,serif" font-size="40" '
        f'font-weight="700" fill="{brand.on_color}">{initial}</text></svg>'
    )
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": CACHE})


def routes(settings: Settings) -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/brand.css", brand_css, methods=["GET"]),
        Route("/favicon.svg", favicon, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]
    if settings.TEMPLATE_DIR is not None and (settings.TEMPLATE_DIR / "static").is_dir():
        static = StaticFiles(directory=settings.TEMPLATE_DIR / "static")
        found.append(Mount("/brand", app=static, name="brand"))
    return found
