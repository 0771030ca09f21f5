"""What wraps every request: the client's address, security headers, CORS for the JSON API.

- The client address is the peer's, or X-Forwarded-For's when the peer is one of
  TRUSTED_PROXIES (IPs or CIDRs): uvicorn's ProxyHeadersMiddleware, which walks the header
  from the right and stops at the first untrusted hop, so a reader cannot forge it.
- Pages get a Content-Security-Policy with no inline script, nosniff and a strict referrer
  policy. The embeddable widget may be framed and sets its own framing rules; the bundled
  emulator's pages are Stripe's, not ours, and get no CSP. Production adds HSTS to every
  response, so that browsers never again try the site over plain http.
- CORS: /api/checkout-sessions for ALLOWED_ORIGINS only (with preflight). /api/progress is
  open to any origin and answers CORS itself, so it is left alone here.
- Time limits (donations/web/limits.py): the body within BODY_READ_TIMEOUT, the answer within
  REQUEST_TIMEOUT, and a database that does not answer is a 503, not a 500. Inside the
  security headers, so that those answers carry them too.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from donations.settings import Settings
from donations.stripe_api import EMULATOR_PATH
from donations.web.brand import image_origin
from donations.web.limits import BodyReadTimeout, RequestDeadline

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
# The same, minus frame-ancestors: news sites embed the widget in their pages.
FRAMEABLE_POLICY = "default-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'"
FRAMEABLE_PATHS = ("/widget/",)
CORS_PATHS = ("/api/checkout-sessions",)
_ALLOWED_HEADERS = ["Content-Type", "Idempotency-Key"]
# Browsers cache a preflight for at most 2 hours (Chromium); ten minutes is plenty.
_PREFLIGHT_MAX_AGE = 600
# https://www.rfc-editor.org/rfc/rfc6797: a year, subdomains too. Browsers ignore it on plain
# http (section 8.1), so every response may carry it.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def content_security_policy(image_origin: str | None) -> str:
    """The pages' policy; a logo on another site (BRAND_LOGO_URL) adds its origin to img-src."""
    if image_origin is None:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self'", f"img-src 'self' {image_origin}")


def pages_policy(settings: Settings) -> str:
    """The policy SecurityHeadersMiddleware gives the pages of an app with these settings."""
    return content_security_policy(image_origin(settings))


def middleware(settings: Settings) -> list[Middleware]:
    stack = [
        Middleware(
            SecurityHeadersMiddleware,
            hsts=settings.ENVIRONMENT == "production",
            policy=pages_policy(settings),
        )
    ]
    stack.append(Middleware(BodyReadTimeout, seconds=settings.BODY_READ_TIMEOUT))
    stack.append(Middleware(RequestDeadline, seconds=settings.REQUEST_TIMEOUT))
    stack.append(
        Middleware(
            ScopedCORSMiddleware,
            paths=CORS_PATHS,
            allow_origins=[origin.rstrip("/") for origin in settings.ALLOWED_ORIGINS],
        )
    )
    if settings.TRUSTED_PROXIES:
        # Outermost, so everything below sees the reader's address.
        stack.insert(
            0, Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.TRUSTED_PROXIES))
        )
    return stack


def security_headers(
    path: str, *, hsts: bool, policy: str = CONTENT_SECURITY_POLICY
) -> list[tuple[str, str]]:
    """The headers every response to `path` gets unless it set them itself."""
    return _headers_for(_kind_of(path), hsts=hsts, policy=policy)


# What a path is, as far as its security headers go.
_FRAMEABLE, _EMULATOR, _PAGE = "frameable", "emulator", "page"


def _kind_of(path: str) -> str:
    if path.startswith(FRAMEABLE_PATHS):
        return _FRAMEABLE
    if path == EMULATOR_PATH or path.startswith(EMULATOR_PATH + "/"):
        return _EMULATOR
    return _PAGE


def _headers_for(kind: str, *, hsts: bool, policy: str) -> list[tuple[str, str]]:
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    if kind == _FRAMEABLE:
        headers.append(("Content-Security-Policy", FRAMEABLE_POLICY))
    elif kind == _PAGE:
        headers.append(("Content-Security-Policy", policy))
        headers.append(("X-Frame-Options", "DENY"))
    return headers


class SecurityHeadersMiddleware:
    """Adds `security_headers` to every response that did not set them itself. Each kind of
    path's headers are encoded once, here, and added to the response's raw list in one pass:
    building and setting them per response (Starlette's MutableHeaders, a scan of the list
    per header) was ~8 µs of every request's CPU (bench/PROFILE.md, seventh pass)."""

    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, policy: str = CONTENT_SECURITY_POLICY
    ) -> None:
        self.app = app
        self.encoded = {
            kind: [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in _headers_for(kind, hsts=hsts, policy=policy)
            ]
            for kind in (_FRAMEABLE, _EMULATOR, _PAGE)
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.encoded[_kind_of(scope["path"])]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in wanted if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ScopedCORSMiddleware:
    """Starlette's CORSMiddleware, for the listed path prefixes only."""

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...], allow_origins: list[str]) -> None:
        self.app = app
        self.paths = paths
        self.cors = CORSMiddleware(
            app,
            allow_origins=allow_origins,
            allow_methods=["POST"],
            allow_headers=_ALLOWED_HEADERS,
            max_age=_PREFLIGHT_MAX_AGE,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.paths):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
