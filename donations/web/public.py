"""Public progress: the JSON for news sites' own pages, and an embeddable progress bar.

    GET /api/progress?campaign=slug   the public progress JSON; 404 {"error": ...} for
                                      an unknown campaign. Cacheable for 60 s by anyone
                                      (Cache-Control: public), with a strong ETag and 304 on
                                      If-None-Match (RFC 9110 §13.1.2); open to any origin.
    GET /widget/progress?campaign=    a tiny page (no script, one inline style block) that
        &source=                      any site may put in an iframe; its link to the
                                      contribute page carries `source` (default "widget") and
                                      the campaign, so gifts through it are reported by
                                      placement.

Both read the progress cache (donations/reports/live.py): a figure up to its TTL plus one
recompute old, encoded and tagged once per recompute, so /api/progress does no JSON encoding,
hashing or database work per request.
"""

from __future__ import annotations

import base64
import hashlib
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from donations import metrics
from donations.checkout.rules import MAX_SOURCE_LENGTH
from donations.progress_cache import Figure
from donations.reports.live import cached_figure, current_progress, known_entry
from donations.state import AppState, app_state
from donations.web.brand import Brand
from donations.web.middleware import pages_policy, security_headers
from donations.web.templates import templates

MAX_AGE = 60
_UNKNOWN = "no campaign {slug!r}"
_NONE_YET = "no campaign yet"

WIDGET_SOURCE = "widget"
WIDGET_CSS = (
    "body{margin:0;font:15px/1.4 system-ui,sans-serif;color:#1a1a1a;background:transparent}"
    ".w{margin:0;padding:8px}.bar{display:block;width:100%;height:14px;overflow:visible}"
    ".track{fill:#e4e4e4}.fill{fill:ACCENT}"
    "figcaption,p{margin:4px 0}.n{font-size:13px;color:#555}"
    "a.give{display:inline-block;margin-top:6px;padding:6px 14px;border-radius:6px;"
    "font-weight:700;text-decoration:none;color:ON_ACCENT;background:ACCENT}"
)


@lru_cache(maxsize=8)
def widget_style(accent: str, on_accent: str) -> tuple[str, str]:
    """The page's one style block in the newsroom's colour, and the policy that allows it
    alone by its hash: nothing else may load or run. Any site may frame it
    (https://www.w3.org/TR/CSP3/#directive-frame-ancestors)."""
    css = WIDGET_CSS.replace("ON_ACCENT", on_accent).replace("ACCENT", accent)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return css, f"default-src 'none'; style-src 'sha256-{digest}'; frame-ancestors *"


def _not_found(slug: str | None) -> dict[str, str]:
    return {"error": _UNKNOWN.format(slug=slug) if slug else _NONE_YET}


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    return header.strip() == "*" or etag in (tag.strip() for tag in header.split(","))


_CORS = {"Access-Control-Allow-Origin": "*"}
_CACHEABLE = {**_CORS, "Cache-Control": f"public, max-age={MAX_AGE}"}
_JSON = "application/json"


class _Prebuilt(Response):
    """A response whose headers were encoded once per figure, not once per request."""

    def __init__(self, status_code: int, body: bytes, raw_headers: list[tuple[bytes, bytes]]):
        self.status_code = status_code
        self.background = None
        self.body = body
        # A copy: middleware adds its headers to the list it is sent.
        self.raw_headers = list(raw_headers)


@lru_cache(maxsize=64)  # a few campaigns, a few figures each: bounded
def _answers(etag: str, body: bytes) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """The raw headers of the 200 and of the 304 for one figure, encoded once."""
    headers = {**_CACHEABLE, "ETag": etag}
    ok = Response(body, media_type=_JSON, headers=headers).raw_headers
    return ok, Response(status_code=304, headers=headers).raw_headers


@lru_cache(maxsize=256)  # the few query strings news sites use, parsed once each
def _campaign_asked(query_string: bytes) -> str | None:
    return QueryParams(query_string).get("campaign") or None


async def api_progress(request: Request) -> Response:
    slug = _campaign_asked(request.scope["query_string"])
    figure = await cached_figure(app_state(request), slug)
    if figure is None:
        return JSONResponse(_not_found(slug), status_code=404, headers=_CORS)
    ok, not_modified = _answers(figure.etag, figure.body)
    if _matches(request.headers.get("if-none-match"), figure.etag):
        return _Prebuilt(304, b"", not_modified)
    return _Prebuilt(200, figure.body, ok)


async def widget_progress(request: Request) -> Response:
    slug = request.query_params.get("campaign") or None
    source = request.query_params.get("source", "").strip()[:MAX_SOURCE_LENGTH] or WIDGET_SOURCE
    state = app_state(request)
    brand = Brand.of(state.settings)
    css, policy = widget_style(brand.color, brand.on_color)
    progress = await current_progress(state, slug)
    headers = {
        "Content-Security-Policy": policy,
        "Cache-Control": f"public, max-age={MAX_AGE}",
    }
    if progress is None:
        return Response(
            _not_found(slug)["error"], status_code=404, media_type="text/plain", headers=headers
        )
    link = {"source": source, **({"campaign": slug} if slug else {})}
    context: dict[str, Any] = {
        "progress": progress,
        "css": css,
        "bar_width": max(0.0, min(100.0, float(progress["percent"]))),
        "contribute_url": f"{state.settings.SITE_URL}/contribute?{urlencode(link)}",
    }
    return templates.TemplateResponse(request, "widget/progress.html", context, headers=headers)


PROGRESS_PATH = "/api/progress"


class ProgressFastPath:
    """GET /api/progress for a figure already in the process's cache, answered before the
    rest of the stack runs.

    Every page view of every news site embedding the figure asks for it, and the answer is
    the same bytes until the next recompute. Through the whole stack (the metrics' route
    matching, the security headers added to each response, the two time limits, the CORS
    check, the router, a Request) a request cost 2.3 times what a bare Starlette endpoint
    answering those bytes costs (bench/PROFILE.md, fourth pass). Here the answer, with its
    headers, the security headers included, is encoded once per figure, and the request is
    still timed in the HTTP histogram under its route. Whatever is not a GET of a figure
    computed already (the first request for a campaign, which waits for it; an unknown
    campaign; HEAD) goes through the stack as before.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts
        # The stack's page policy (a logo on another site widens it), from the app's settings
        # on the first request: the same as SecurityHeadersMiddleware sends.
        self.policy: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PROGRESS_PATH and scope["method"] == "GET":
            started = time.perf_counter()
            state: AppState = scope["app"].state.donations
            entry = known_entry(state, _campaign_asked(scope["query_string"]))
            if entry is not None and entry.figure is not None:
                if self.policy is None:
                    self.policy = pages_policy(state.settings)
                status, headers, body = _fast_answer(
                    entry.figure, scope["headers"], self.hsts, self.policy
                )
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                _timer(status).observe(time.perf_counter() - started)
                return
        await self.app(scope, receive, send)


def _fast_answer(
    figure: Figure, headers: list[tuple[bytes, bytes]], hsts: bool, policy: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    ok, not_modified = _secured_answers(figure.etag, figure.body, hsts, policy)
    for name, value in headers:
        if name == b"if-none-match":
            if _matches(value.decode("latin-1"), figure.etag):
                return 304, not_modified, b""
            break
    return 200, ok, figure.body


@lru_cache(maxsize=64)
def _secured_answers(
    etag: str, body: bytes, hsts: bool, policy: str
) -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]]]:
    """`_answers`, plus what SecurityHeadersMiddleware would have added to each."""
    extra = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in security_headers(PROGRESS_PATH, hsts=hsts, policy=policy)
    ]
    ok, not_modified = _answers(etag, body)

    def secured(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name for name, _ in raw}
        return raw + [(name, value) for name, value in extra if name not in present]

    return secured(ok), secured(not_modified)


def _timer(status: int) -> Any:
    return metrics.request_timer(PROGRESS_PATH, "GET", status)


routes: list[BaseRoute] = [
    Route(PROGRESS_PATH, api_progress, methods=["GET"]),
    Route("/widget/progress", widget_progress, methods=["GET"]),
]
