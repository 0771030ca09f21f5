"""GET /metrics, and the middleware that times every request (donations/metrics.py says what
is measured).

Who may read /metrics:
- METRICS_TOKEN set: a scraper sending `Authorization: Bearer <METRICS_TOKEN>`; anyone else
  gets 401 with a Bearer challenge.
- METRICS_TOKEN unset: anyone in development (the server listens on 127.0.0.1 by default);
  nobody in production, where /metrics answers 404 until a token is set.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from donations import metrics
from donations.models import utcnow
from donations.state import app_state

NOT_SERVED = "Not found: set METRICS_TOKEN to serve metrics in production.\n"
NO_TOKEN = "Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.\n"
CHALLENGE = 'Bearer realm="metrics"'
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# The two ways of starting a checkout, and what each answer means.
CHECKOUT_ROUTES = {("POST", "/contribute"): "form", ("POST", "/api/checkout-sessions"): "api"}
CHECKOUT_OUTCOMES = {
    201: "created",
    303: "created",
    403: "cross_site",
    409: "in_flight",
    422: "invalid",
    429: "rate_limited",
    502: "provider_unavailable",
    503: "provider_unavailable",
}


async def metrics_page(request: Request) -> Response:
    state = app_state(request)
    token = state.settings.METRICS_TOKEN
    if token is None and state.settings.ENVIRONMENT == "production":
        return PlainTextResponse(NOT_SERVED, status_code=404)
    if token is not None and not _bearer_is(request, token):
        return PlainTextResponse(NO_TOKEN, status_code=401, headers={"WWW-Authenticate": CHALLENGE})
    body = await metrics.exposition(state.db, utcnow())
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _bearer_is(request: Request, token: str) -> bool:
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    # Compared in constant time, as bytes: compare_digest refuses non-ASCII str.
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def checkout_outcome(status: int) -> str:
    return CHECKOUT_OUTCOMES.get(status, "invalid" if 400 <= status < 500 else "error")


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """The template of the route that answers `scope` ("/admin/export/{report}.csv"), a
    mount's prefix and "{path}" for what is under it, or "unmatched"."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return _template(route)
        if match is Match.PARTIAL and partial is None:
            partial = route
    return _template(partial) if partial is not None else UNMATCHED


def _template(route: BaseRoute) -> str:
    if isinstance(route, Route):
        return route.path
    if isinstance(route, Mount):
        return route.path + "/{path}"
    return UNMATCHED


class RequestMetrics:
    """Times each HTTP request by route template, method and status, and counts checkout
    attempts by outcome. The route is found before the app runs: a mounted app rewrites
    the scope's path and root_path as it routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        routes: list[BaseRoute] = scope["app"].routes
        route = route_template(routes, scope)
        method = scope["method"] if scope["method"] in METHODS else "other"
        answer: dict[str, Any] = {"status": 500}

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_timed)
        finally:
            status: int = answer["status"]
            metrics.request_timer(route, method, status).observe(time.perf_counter() - started)
            via = CHECKOUT_ROUTES.get((method, route))
            if via is not None:
                metrics.CHECKOUTS.labels(via=via, outcome=checkout_outcome(status)).inc()


routes: list[BaseRoute] = [Route("/metrics", metrics_page, methods=["GET"])]
