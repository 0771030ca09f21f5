"""Public progress: the JSON for news sites' own pages, and an embeddable progress bar.

    GET /api/progress?campaign=slug   the progress JSON of DESIGN.md; 404 {"error": ...} for
                                      an unknown campaign. Cacheable for 60 s by anyone
                                      (Cache-Control: public), with a strong ETag and 304 on
                                      If-None-Match (RFC 9110 §13.1.2); open to any origin.
    GET /widget/progress?campaign=    a tiny page (no script, one inline style block) that
                                      any site may put in an iframe.

Both read `current_progress`, which computes at most once per few seconds per process.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from donations.reports.live import current_progress
from donations.web.state import app_state
from donations.web.templates import templates

MAX_AGE = 60
_UNKNOWN = "no campaign {slug!r}"
_NONE_YET = "no campaign yet"

WIDGET_CSS = (
    "body{margin:0;font:15px/1.4 system-ui,sans-serif;color:#1a1a1a;background:transparent}"
    ".w{margin:0;padding:8px}.bar{display:block;width:100%;height:12px}"
    "figcaption,p{margin:4px 0}a{color:#0072b2}"
)
# The only style on the page, allowed by its hash; nothing else may load or run. Any site
# may frame it (https://www.w3.org/TR/CSP3/#directive-frame-ancestors).
_CSS_HASH = base64.b64encode(hashlib.sha256(WIDGET_CSS.encode()).digest()).decode()
WIDGET_POLICY = f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; frame-ancestors *"


def _not_found(slug: str | None) -> dict[str, str]:
    return {"error": _UNKNOWN.format(slug=slug) if slug else _NONE_YET}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    return header.strip() == "*" or etag in (tag.strip() for tag in header.split(","))


async def api_progress(request: Request) -> Response:
    slug = request.query_params.get("campaign") or None
    progress = await current_progress(app_state(request), slug)
    cors = {"Access-Control-Allow-Origin": "*"}
    if progress is None:
        return JSONResponse(_not_found(slug), status_code=404, headers=cors)
    body = json.dumps(progress, separators=(",", ":")).encode()
    etag = _etag(body)
    headers = {**cors, "Cache-Control": f"public, max-age={MAX_AGE}", "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def widget_progress(request: Request) -> Response:
    slug = request.query_params.get("campaign") or None
    state = app_state(request)
    progress = await current_progress(state, slug)
    headers = {
        "Content-Security-Policy": WIDGET_POLICY,
        "Cache-Control": f"public, max-age={MAX_AGE}",
    }
    if progress is None:
        return Response(
            _not_found(slug)["error"], status_code=404, media_type="text/plain", headers=headers
        )
    context: dict[str, Any] = {
        "progress": progress,
        "css": WIDGET_CSS,
        "bar_width": max(0.0, min(100.0, float(progress["percent"]))),
        "contribute_url": state.settings.SITE_URL + "/contribute",
    }
    return templates.TemplateResponse(request, "widget/progress.html", context, headers=headers)


routes: list[BaseRoute] = [
    Route("/api/progress", api_progress, methods=["GET"]),
    Route("/widget/progress", widget_progress, methods=["GET"]),
]
