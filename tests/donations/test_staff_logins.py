"""/admin's logins over HTTP: throttled, not locked; the same answer for every name; the
state shared by every process; https only in production, with HSTS."""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlmodel import col, select
from starlette.applications import Starlette
from typer.testing import CliRunner, Result

from donations.app import create_app
from donations.cli import app as cli
from donations.db import Database
from donations.models import AuditLog
from donations.settings import Settings
from donations.staff import add_staff, log_in
from tests.support.apps import running_app
from tests.support.servers import serve_in_thread
from tests.webhooks.server_process import webhook_server

NAME, PASSWORD = "ana", "correct horse battery"
PAGE = "/admin/payments"  # a staff page that needs no campaign
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
PROXY = "10.0.0.2"
# Secrets of the shape production wants, made at run time (a literal in the repository is a
# published secret, which production refuses); nothing here calls Stripe.
PRODUCTION = {
    "ENVIRONMENT": "production",
    "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(24),
    "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(16),
    "STRIPE_API_BASE": "http://127.0.0.1:9",
    "SITE_URL": "https://give.example.org",
    "SMTP_URL": "smtp://127.0.0.1:9",
}
HSTS = "max-age=31536000; includeSubDomains"


async def add_ana(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")


async def audit_rows(db: Database) -> list[tuple[str, str, str | None]]:
    async with db.session() as session:
        rows = await session.exec(
            select(AuditLog).where(AuditLog.actor != "test").order_by(col(AuditLog.id))
        )
        return [(row.actor, row.action, row.client_ip) for row in rows]


@asynccontextmanager
async def client_at(
    app: Starlette, ip: str, *, scheme: str = "http"
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from `ip`, as the server would see its peer."""
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver") as http:
        yield http


def answer(response: httpx.Response) -> tuple[int, str, dict[str, str]]:
    return response.status_code, response.text, dict(response.headers)


@pytest.mark.asyncio
async def test_known_and_unknown_names_get_identical_answers(db: Database, app: Starlette) -> None:
    await add_ana(db)
    answers = {}
    for name, ip in ((NAME, ATTACKER), ("eve", OWNER)):
        async with client_at(app, ip) as http:
            answers[name] = [
                answer(await http.get(PAGE, auth=(name, "wrong password"))) for _ in range(5)
            ]
    assert answers[NAME] == answers["eve"]
    assert [status for status, _, _ in answers["eve"]] == [401, 401, 401, 429, 429]
    wrong, throttled = answers["eve"][0], answers["eve"][3]
    assert wrong[1] == "Wrong name or password.\n"
    assert wrong[2]["www-authenticate"] == 'Basic realm="donations admin", charset="UTF-8"'
    assert throttled[1] == "Too many failed logins from your address: try again in 1 s.\n"
    assert throttled[2]["retry-after"] == "1"


@pytest.mark.asyncio
async def test_unknown_and_known_names_take_as_long(db: Database) -> None:
    await add_ana(db)

    async def seconds(name: str, ip: str) -> float:
        started = time.perf_counter()
        await log_in(db=db, name=name, password="wrong", client_ip=ip)
        return time.perf_counter() - started

    # Interleaved, each from its own address (so that none is throttled); medians, so that a
    # pause of the busy machine does not decide.
    known, unknown = [], []
    for number in range(5):
        known.append(await seconds(NAME, f"192.0.2.{number}"))
        unknown.append(await seconds("eve", f"192.0.2.{100 + number}"))
    ratio = statistics.median(unknown) / statistics.median(known)
    # Without the dummy hash an unknown name answers in a few milliseconds: a ratio near 0.02.
    assert 0.5 < ratio < 2.0, (known, unknown)


@pytest.mark.asyncio
async def test_a_throttled_client_gets_429_even_with_the_right_password_then_gets_in(
    db: Database, client: httpx.AsyncClient
) -> None:
    await add_ana(db)
    statuses = [(await client.get(PAGE, auth=(NAME, "wrong"))).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    throttled = await client.get(PAGE, auth=(NAME, PASSWORD))
    assert (throttled.status_code, throttled.headers["retry-after"]) == (429, "1")
    assert "www-authenticate" not in throttled.headers
    await asyncio.sleep(1.0)
    welcome = await client.get(PAGE, auth=(NAME, PASSWORD))
    assert welcome.status_code == 200
    assert "No payments yet." in welcome.text
    assert [action for _, action, _ in await audit_rows(db)] == [
        "login_failed",
        "login_failed",
        "login_failed",
        "login_throttled",
        "login",
    ]


@pytest.mark.asyncio
async def test_an_attacker_behind_the_proxy_never_keeps_the_owner_out(
    db: Database, settings: Settings
) -> None:
    await add_ana(db)
    behind_proxy = settings.model_copy(update={"TRUSTED_PROXIES": ["127.0.0.1"]})
    with serve_in_thread(create_app(behind_proxy)) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            attacker = {"X-Forwarded-For": ATTACKER}
            statuses = [
                (await http.get(PAGE, auth=(NAME, f"guess {n}"), headers=attacker)).status_code
                for n in range(12)
            ]
            owner = await http.get(PAGE, auth=(NAME, PASSWORD), headers={"X-Forwarded-For": OWNER})
    assert statuses == [401] * 3 + [429] * 9
    assert owner.status_code == 200
    assert (await audit_rows(db))[-1] == (NAME, "login", OWNER)


async def staff(*args: str, database_url: str, stdin: str = "") -> None:
    """`donations staff ...` in this process, in a thread (it runs its own event loop)."""

    def run() -> Result:
        environment = {"DATABASE_URL": database_url}
        return CliRunner().invoke(cli, ["staff", *args], input=stdin, env=environment)

    result = await asyncio.to_thread(run)
    assert result.exit_code == 0, result.stderr


@pytest.mark.e2e
@pytest.mark.asyncio
async def test_two_processes_share_the_throttle_and_forget_a_changed_or_removed_login(
    db: Database, settings: Settings, database_url: str
) -> None:
    await add_ana(db)
    with (
        webhook_server(database_url) as other_process,
        serve_in_thread(create_app(settings)) as here,
    ):
        async with httpx.AsyncClient() as http:

            async def status(url: str, password: str) -> int:
                return (await http.get(url + PAGE, auth=(NAME, password))).status_code

            first, second = other_process.url, here
            # Three failures in one process; the next attempt waits in the other.
            assert [await status(first, "wrong") for _ in range(3)] == [401, 401, 401]
            assert await status(second, PASSWORD) == 429
            await staff("unlock", NAME, database_url=database_url)
            # Both processes now remember ana's login.
            assert [await status(first, PASSWORD), await status(second, PASSWORD)] == [200, 200]
            new = "a brand new horse"
            await staff("passwd", NAME, "--password-stdin", database_url=database_url, stdin=new)
            # The old password ends at once everywhere, remembered or not.
            assert [await status(first, PASSWORD), await status(second, PASSWORD)] == [401, 401]
            assert [await status(first, new), await status(second, new)] == [200, 200]
            await staff("remove", NAME, database_url=database_url)
            assert [await status(first, new), await status(second, new)] == [401, 401]


@pytest.fixture
def production(settings: Settings) -> Settings:
    return settings.model_copy(update={**PRODUCTION, "TRUSTED_PROXIES": [PROXY]})


@pytest.mark.asyncio
async def test_production_refuses_staff_logins_over_plain_http_unchecked(
    db: Database, production: Settings
) -> None:
    await add_ana(db)
    async with running_app(production) as app, client_at(app, OWNER) as http:
        with_password = await http.get(PAGE, auth=(NAME, PASSWORD))
        without = await http.get(PAGE)
        # A reader's X-Forwarded-Proto is not believed: OWNER is not a trusted proxy.
        forged = await http.get(PAGE, auth=(NAME, PASSWORD), headers={"X-Forwarded-Proto": "https"})
    for response in (with_password, without, forged):
        assert response.status_code == 403
        assert response.text == "Use https: staff logins are refused over plain http.\n"
        assert "www-authenticate" not in response.headers
    # The password was never checked: no login, no failure.
    assert await audit_rows(db) == []


@pytest.mark.asyncio
async def test_production_accepts_https_direct_or_from_a_trusted_proxy(
    db: Database, production: Settings
) -> None:
    await add_ana(db)
    https = {"X-Forwarded-Proto": "https"}
    async with running_app(production) as app:
        async with client_at(app, PROXY) as proxy:
            forwarded = await proxy.get(PAGE, auth=(NAME, PASSWORD), headers=https)
            plain = await proxy.get(
                PAGE, auth=(NAME, PASSWORD), headers={"X-Forwarded-Proto": "http"}
            )
        async with client_at(app, OWNER, scheme="https") as direct:
            tls = await direct.get(PAGE, auth=(NAME, PASSWORD))
    assert (forwarded.status_code, plain.status_code, tls.status_code) == (200, 403, 200)
    assert "No payments yet." in forwarded.text


@pytest.mark.asyncio
async def test_production_sends_hsts_on_every_response(production: Settings) -> None:
    async with running_app(production) as app, client_at(app, OWNER, scheme="https") as http:
        responses = [
            await http.get("/healthz"),
            await http.get("/contribute"),
            await http.get(PAGE),
            await http.get("/no-such-page"),
        ]
    assert [response.status_code for response in responses] == [200, 200, 401, 404]
    assert [response.headers.get("strict-transport-security") for response in responses] == [
        HSTS
    ] * 4


@pytest.mark.asyncio
async def test_development_sends_no_hsts_and_allows_http(
    db: Database, client: httpx.AsyncClient
) -> None:
    await add_ana(db)
    responses = [await client.get("/healthz"), await client.get(PAGE, auth=(NAME, PASSWORD))]
    assert [response.status_code for response in responses] == [200, 200]
    assert [response.headers.get("strict-transport-security") for response in responses] == [
        None,
        None,
    ]
