"""Whatever a reader's browser or a script sends to the checkout, the answer is a 2xx or a
4xx with a reason, and a refused request writes nothing: never a 500.

The fuzzing runs against a real server (the mounted emulator is Stripe, so valid input goes
all the way to a Checkout Session); the exact cases run in-process, where an exception in the
app would fail the test instead of being logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from donations.db import create_sync_engine
from donations.models import Checkout
from donations.settings import Settings
from tests.support.apps import asgi_client, running_app
from tests.support.servers import free_port, serve_in_thread

API = "/api/checkout-sessions"
FIELDS = ("amount", "currency", "frequency", "email", "source")
NESTED_KILOBYTE = "[" * 1024 + "]" * 1024


def checkout_rows(database_url: str) -> int:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(Checkout)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    from donations.app import create_app

    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CURRENCIES=["eur", "jpy"],
        CHECKOUT_RATE_LIMIT="100000/minute",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(["eur", "EUR", "jpy", "one_off", "monthly", "annual", "a@b.example"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
contributions = st.dictionaries(st.sampled_from(FIELDS), json_values) | json_values
HEADER_CHARACTERS = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")
raw_bodies = st.binary(max_size=64) | st.sampled_from(
    [b"", b"{", b"1e999999", b"9" * 5000, NESTED_KILOBYTE.encode()]
)


def _answer_is_clean(response: httpx.Response, rows_before: int, database_url: str) -> None:
    assert response.status_code in (201, 422), response.text
    if response.status_code == 422:
        error = response.json()["error"]
        assert error["code"] and error["message"]
        assert checkout_rows(database_url) == rows_before


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=contributions)
def test_any_json_body_is_a_session_or_a_422_with_a_reason(
    site: str, database_url: str, body: Any
) -> None:
    before = checkout_rows(database_url)
    response = httpx.post(
        site + API, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    _answer_is_clean(response, before, database_url)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=raw_bodies, key=st.none() | st.text(alphabet=HEADER_CHARACTERS, max_size=300))
def test_any_bytes_and_idempotency_key_are_a_422_with_a_reason(
    site: str, database_url: str, body: bytes, key: str | None
) -> None:
    headers = {b"Content-Type": b"application/json"}
    if key is not None:
        # What HTTP lets through as a header value: latin-1 bytes, no control characters.
        headers[b"Idempotency-Key"] = (key.strip() or "x").encode("latin-1")
    before = checkout_rows(database_url)
    response = httpx.post(site + API, content=body, headers=headers)
    _answer_is_clean(response, before, database_url)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from([*FIELDS, "custom_amount"]),
        st.text() | st.sampled_from(["5", "1e999999", "9" * 400, "€12,50", "0.001", "-5"]),
    )
)
def test_any_form_is_a_redirect_or_the_form_again_with_the_error(
    site: str, database_url: str, fields: dict[str, str]
) -> None:
    before = checkout_rows(database_url)
    response = httpx.post(site + "/contribute", data=fields, headers={"Origin": site})
    assert response.status_code in (303, 422), response.text[:500]
    if response.status_code == 422:
        assert 'role="alert"' in response.text or "error" in response.text
        assert checkout_rows(database_url) == before


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(session_id=st.text())
def test_any_thanks_link_is_a_page_not_an_error(site: str, session_id: str) -> None:
    response = httpx.get(site + "/contribute/thanks", params={"session_id": session_id})
    assert response.status_code in (200, 404), response.text[:500]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        NESTED_KILOBYTE,
        '{"amount": ' + NESTED_KILOBYTE + "}",
        '{"amount": 1000, "email": ' + "[" * 2000 + "]" * 2000 + "}",
    ],
)
async def test_deeply_nested_json_is_a_422_without_a_traceback(
    settings: Settings, database_url: str, caplog: pytest.LogCaptureFixture, body: str
) -> None:
    caplog.set_level(logging.WARNING)
    async with running_app(settings) as app, asgi_client(app) as client:
        response = await client.post(
            API, content=body, headers={"Content-Type": "application/json"}
        )
    assert (response.status_code, response.json()) == (
        422,
        {
            "error": {
                "code": "invalid_json",
                "message": "The request body is not valid JSON.",
                "field": None,
            }
        },
    )
    assert checkout_rows(database_url) == 0
    assert [record for record in caplog.records if record.exc_info] == []
