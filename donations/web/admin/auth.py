"""Staff authentication for /admin: HTTP Basic against staff users (RFC 7617).

A wrong name or password answers 401 with a Basic challenge, the same for names that do not
exist; a client that failed too often 429 with Retry-After, its password unchecked
(donations.throttle). In production, plain http answers 403 before any password is read: the
scheme is the connection's, or the trusted proxy's X-Forwarded-Proto (ProxyHeadersMiddleware,
TRUSTED_PROXIES).

A browser sends the Basic credentials with every request; checking argon2 and writing an
audit row each time would make every page cost tens of milliseconds of CPU, so a verified
name and password are remembered in this process (donations/login_memory.py): a "login"
(audited) is the first request after that. Each request still reads the user's stored hash
(one indexed row) and forgets the login if it changed or is gone, so `donations staff passwd`
and `remove` end it in every process at once.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from donations.login_memory import fingerprint
from donations.staff import LoginOutcome, credential, log_in
from donations.state import AppState, app_state
from donations.web.templates import templates

ADMIN_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CHALLENGE = 'Basic realm="donations admin", charset="UTF-8"'

_WRONG = "Wrong name or password.\n"
_THROTTLED = "Too many failed logins from your address: try again in {seconds} s.\n"
_USE_HTTPS = "Use https: staff logins are refused over plain http.\n"


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _credentials(request: Request) -> tuple[str, str] | None:
    """(name, password) from `Authorization: Basic ...` (RFC 7617), or None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon and name else None


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _challenge(body: str) -> Response:
    return PlainTextResponse(body, status_code=401, headers={"WWW-Authenticate": CHALLENGE})


async def _still_remembered(state: AppState, key: str, name: str) -> bool:
    remembered = state.staff_logins.credential(key)
    if remembered is None:
        return False
    async with state.db.session() as session:
        if await credential(session=session, name=name) == remembered:
            return True
    # A new password, or the user removed: this login must be checked again.
    state.staff_logins.forget(key)
    return False


async def _staff_name(request: Request) -> str | Response:
    state = app_state(request)
    if state.settings.ENVIRONMENT == "production" and request.url.scheme != "https":
        # Before the credentials are read: answering a challenge here would invite the
        # browser to send the password over plain http again.
        return PlainTextResponse(_USE_HTTPS, status_code=403)
    credentials = _credentials(request)
    if credentials is None:
        return _challenge("Log in with your staff name and password.\n")
    name, password = credentials
    key = fingerprint(name, password)
    if await _still_remembered(state, key, name):
        return name
    result = await log_in(db=state.db, name=name, password=password, client_ip=client_ip(request))
    if result.outcome is LoginOutcome.ok:
        assert result.credential is not None, "a login that succeeded names its credential"
        state.staff_logins.remember(key, result.credential)
        return name
    if result.outcome is LoginOutcome.throttled:
        assert result.retry_after is not None, "a throttled login says how long to wait"
        seconds = max(1, math.ceil(result.retry_after.total_seconds()))
        return PlainTextResponse(
            _THROTTLED.format(seconds=seconds),
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    return _challenge(_WRONG)


Page = Callable[[Request, str], Awaitable[Response]]


def staff_only(page: Page) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        who = await _staff_name(request)
        if isinstance(who, Response):
            return who
        try:
            response = await page(request, who)
        except PageError as error:
            response = templates.TemplateResponse(
                request,
                "admin/error.html",
                {"message": error.message, "staff": who},
                status_code=error.status,
            )
        response.headers["Content-Security-Policy"] = ADMIN_POLICY
        response.headers["Cache-Control"] = "no-store"
        return response

    return endpoint
