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

from starlette.datastructures import MutableHeaders
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
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY))
    if path.startswith(FRAMEABLE_PATHS):
        headers.append(("Content-Security-Policy", FRAMEABLE_POLICY))
    elif not (path == EMULATOR_PATH or path.startswith(EMULATOR_PATH + "/")):
        headers.append(("Content-Security-Policy", policy))
        headers.append(("X-Frame-Options", "DENY"))
    return headers


class SecurityHeadersMiddleware:
    def __init__(
        self, app: ASGIApp, *, hsts: bool = False, policy: str = CONTENT_SECURITY_POLICY
    ) -> None:
        self.app = app
        self.hsts = hsts
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = security_headers(scope["path"], hsts=self.hsts, policy=self.policy)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted:
                    headers.setdefault(name, value)
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
