"""Cross-site protection, security headers, CORS and the client address, in process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from donations.app import create_app
from donations.settings import Settings
from donations.web.middleware import middleware

SITE = "https://news.example"
SPA = "https://app.news.example"


@pytest_asyncio.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(update={"SITE_URL": SITE, "ALLOWED_ORIGINS": [SPA]})
    application = create_app(configured)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            yield client


INVALID_FORM = {"frequency": "one_off", "custom_amount": "0,01", "currency": "eur"}


@pytest.mark.asyncio
async def test_form_from_another_site_is_refused(http: httpx.AsyncClient) -> None:
    foreign = await http.post(
        "/contribute", data=INVALID_FORM, headers={"Origin": "https://evil.example"}
    )
    blind = await http.post("/contribute", data=INVALID_FORM)
    foreign_referer = await http.post(
        "/contribute", data=INVALID_FORM, headers={"Referer": "https://evil.example/news.example/"}
    )
    assert [foreign.status_code, blind.status_code, foreign_referer.status_code] == [403] * 3
    assert "This form can only be sent from our own pages." in foreign.text


@pytest.mark.asyncio
async def test_form_from_our_own_page_reaches_validation(http: httpx.AsyncClient) -> None:
    by_origin = await http.post("/contribute", data=INVALID_FORM, headers={"Origin": SITE})
    by_referer = await http.post(
        "/contribute",
        data=INVALID_FORM,
        headers={"Referer": f"{SITE}/contribute?frequency=monthly"},
    )
    assert [by_origin.status_code, by_referer.status_code] == [422, 422]


@pytest.mark.asyncio
async def test_portal_form_from_another_site_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/membership/portal",
        data={"session_id": "cs_test_1"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


@pytest.mark.asyncio
async def test_pages_forbid_framing_and_inline_script(http: httpx.AsyncClient) -> None:
    response = await http.get("/contribute")
    assert response.headers["content-security-policy"] == (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'self'; frame-ancestors 'none'"
    )
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    # One script, from our own static files (the form works without it); none inline.
    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/static/contribute.js" defer>'
    ]
    assert ' style="' not in response.text


@pytest.mark.asyncio
async def test_widget_may_be_framed(http: httpx.AsyncClient) -> None:
    response = await http.get("/widget/progress")
    assert "x-frame-options" not in response.headers
    # The widget's route sets its own framing policy; ours must not forbid it.
    assert "frame-ancestors 'none'" not in response.headers.get("content-security-policy", "")
    assert "frame-ancestors *" in response.headers["content-security-policy"]


@pytest.mark.asyncio
async def test_emulator_pages_get_no_csp(http: httpx.AsyncClient) -> None:
    response = await http.get("/stripe-emulator/_emulator/cards")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.asyncio
async def test_checkout_api_cors_allows_only_the_listed_origins(http: httpx.AsyncClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, idempotency-key"}  # fmt: skip
    allowed = await http.options("/api/checkout-sessions", headers={"Origin": SPA, **preflight})
    refused = await http.options(
        "/api/checkout-sessions", headers={"Origin": "https://evil.example", **preflight}
    )
    simple = await http.post("/api/checkout-sessions", json={"amount": 1}, headers={"Origin": SPA})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SPA
    assert "Idempotency-Key" in allowed.headers["access-control-allow-headers"]
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.status_code == 422
    assert simple.headers["access-control-allow-origin"] == SPA


@pytest.mark.asyncio
async def test_progress_api_cors_is_left_to_its_route(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/api/progress",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.headers.get("access-control-allow-origin") in (None, "*")
    # The route answered, not a CORS middleware (which would say 200 or 400 to a preflight).
    assert response.status_code == 405
    answer = await http.get("/api/progress", headers={"Origin": "https://evil.example"})
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.asyncio
async def test_json_api_wants_json(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/checkout-sessions", data={"amount": "1000"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_json"
    key = await http.post(
        "/api/checkout-sessions", json={"amount": 1000}, headers={"Idempotency-Key": "k" * 256}
    )
    assert key.status_code == 422
    assert key.json()["error"]["code"] == "invalid_idempotency_key"
    huge = await http.post("/api/checkout-sessions", json={"amount": 1000, "source": "x" * 20_000})
    assert huge.status_code == 422
    assert huge.json()["error"] == {
        "code": "invalid_json",
        "message": "The request body is too large.",
        "field": None,
    }


def echo_client(**overrides: Any) -> httpx.AsyncClient:
    async def who(request: Request) -> PlainTextResponse:
        assert request.client is not None
        return PlainTextResponse(request.client.host)

    settings = Settings(**overrides)
    app = Starlette(routes=[Route("/who", who)], middleware=middleware(settings))
    # httpx's ASGI transport connects from 127.0.0.1, like a proxy on the same host.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.asyncio
async def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    forwarded = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}
    async with echo_client(TRUSTED_PROXIES="10.0.0.0/8,127.0.0.1") as behind_proxy:
        assert (await behind_proxy.get("/who", headers=forwarded)).text == "203.0.113.7"
        assert (await behind_proxy.get("/who")).text == "127.0.0.1"
    async with echo_client(TRUSTED_PROXIES="10.0.0.0/8") as untrusted_peer:
        assert (await untrusted_peer.get("/who", headers=forwarded)).text == "127.0.0.1"
    async with echo_client() as no_proxies:
        assert (await no_proxies.get("/who", headers=forwarded)).text == "127.0.0.1"


@pytest.mark.asyncio
async def test_a_forged_hop_before_the_proxy_is_not_the_client() -> None:
    # The reader sent "X-Forwarded-For: 10.1.1.1"; our proxy (10.0.0.2) appended the reader's
    # address, 203.0.113.7, and a second trusted proxy (127.0.0.1) appended 10.0.0.2.
    forwarded = {"X-Forwarded-For": "10.1.1.1, 203.0.113.7, 10.0.0.2"}
    async with echo_client(TRUSTED_PROXIES="127.0.0.1,10.0.0.2") as http:
        assert (await http.get("/who", headers=forwarded)).text == "203.0.113.7"
