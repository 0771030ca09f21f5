from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

import stripe_events as se
from donations import migrations
from donations.db import Database, is_sqlite
from donations.models import AuditLog, Payment
from donations.money import format_amount
from donations.reports import funnel, recent, sources
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.settings import Settings
from donations.staff import add_staff
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.reports.ledger_fixtures import TIMEZONE, add_the_campaign
from tests.reports.scenario import at
from tests.support import databases
from tests.support.apps import asgi_client, running_app
from tests.support.cli import in_process
from tests.support.webhook_delivery import deliver_all

NAME, PASSWORD = "ana", "correct horse battery"
AUTH = (NAME, PASSWORD)
# The whole year of the newsroom (tests/reports/scenario.py).
YEAR = "from=2026-01-01&to=2026-12-31"
CODE_IN_A_CELL = re.compile(r"<td>(?:[a-z]+_[a-z_]+|one_off|monthly|annual|month|year)</td>")


async def add_ana(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")


async def audit_actions(db: Database) -> list[tuple[str, str | None]]:
    """What ana did (her being added is the test's doing)."""
    async with db.session() as session:
        rows = await session.exec(
            select(AuditLog).where(AuditLog.actor == NAME).order_by(col(AuditLog.id))
        )
        return [(row.action, row.detail) for row in rows]


@pytest.mark.asyncio
async def test_admin_asks_for_a_login(dublin_client: httpx.AsyncClient) -> None:
    response = await dublin_client.get("/admin")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="donations admin", charset="UTF-8"'


@pytest.mark.asyncio
async def test_every_page_shows_its_figures_with_a_strict_policy(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(year)
    # Figures worked out in test_progress, test_period and test_members_sources_funnel.
    expected = {
        "/admin": ["€162.00", "16.2% of the target", "£15.00", "<svg"],
        # The campaign's window by default: October is only H (G is on 10-26).
        "/admin/months": ["2026-10", "€12.00", "<svg"],
        "/admin/members?from=2026-05-01&to=2026-06-30": ["25.0%", "€10.00", "<td>Monthly</td>"],
        "/admin/sources?from=2026-01-01&to=2026-12-31": ["article-footer", "€90.00"],
        "/admin/funnel?from=2026-01-01&to=2026-12-31": [
            "85.7%",
            "<td>One-off</td>",
            "<td>All</td>",
        ],
        f"/admin/payments?{YEAR}": ["k***@example.org", "€40.00"],
        "/admin/payouts": ["No payout arrives in these days."],
        "/admin/supporters": ["Find a supporter"],
        "/admin/snapshots": ["No snapshots yet."],
    }
    for path, texts in expected.items():
        response = await dublin_client.get(path, auth=AUTH)
        assert response.status_code == 200, path
        for text in texts:
            assert text in response.text, (path, text)
        assert "kim@example.org" not in response.text
        # Codes are shown in words: no cell says one_off, monthly or past_due.
        assert CODE_IN_A_CELL.findall(response.text) == [], path
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
    # One login for the whole visit: the verified password is remembered for a while.
    assert await audit_actions(year) == [("login", None)]


@pytest.mark.asyncio
async def test_csv_downloads_stream_the_report_and_are_audited(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(year)
    response = await dublin_client.get(
        "/admin/export/period.csv?from=2026-10-25&to=2026-10-26&by=day", auth=AUTH
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="period-2026-10-25-2026-10-26.csv"'
    )
    assert response.text.splitlines()[1:] == [
        "2026-10-25,eur,12.00,0.00,0.00,12.00,,1,1,12.00,0,0.00,0,0",
        "2026-10-26,eur,40.00,0.00,0.00,40.00,,1,1,40.00,0,0.00,0,0",
    ]
    headers = {
        "progress": ("figure", "value", "currency"),
        "members": MEMBER_COLUMNS,
        "sources": sources.COLUMNS,
        "funnel": funnel.COLUMNS,
        "payments": recent.COLUMNS,
    }
    downloads = {}
    for report, columns in headers.items():
        download = await dublin_client.get(f"/admin/export/{report}.csv", auth=AUTH)
        assert download.status_code == 200
        downloads[report] = download.text.splitlines()
        assert downloads[report][0] == ",".join(columns) and len(downloads[report]) > 1, report
    assert "net,162.00,eur" in downloads["progress"]
    actions = await audit_actions(year)
    assert actions[:2] == [
        ("login", None),
        ("export", "period campaign=2026&from=2026-10-25&to=2026-10-26&by=day"),
    ]
    assert [action for action, _ in actions] == ["login"] + ["export"] * 6


@pytest.mark.asyncio
async def test_bad_admin_input_is_a_4xx_with_the_reason(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(year)
    cases = {
        "/admin?campaign=nope": (404, "no campaign &#39;nope&#39;"),
        "/admin/months?from=2026-13-01": (400, "from must be a date like 2026-01-31"),
        "/admin/sources?from=2026-05-01&to=2026-03-01": (400, "from 2026-05-01 is after to"),
        "/admin/export/secrets.csv": (404, "no report &#39;secrets&#39;"),
        "/admin/export/period.csv?by=year": (
            400,
            "by must be day, week or month, not &#39;year&#39;",
        ),
        "/admin/export/period.csv?from=2000-01-01&by=day": (400, "too many"),
    }
    for path, (status, reason) in cases.items():
        response = await dublin_client.get(path, auth=AUTH)
        assert (response.status_code, reason in response.text) == (status, True), path


@pytest.mark.asyncio
async def test_funnel_csv_has_the_all_row_of_the_page_and_the_cli(
    year: Database, database_url: str, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(year)
    download = await dublin_client.get(f"/admin/export/funnel.csv?{YEAR}", auth=AUTH)
    assert download.status_code == 200
    # The rows of test_funnel_counts_sessions_by_frequency_and_outcome, "all" last.
    assert download.text.splitlines() == [
        "frequency,created,completed,expired,failed,open,conversion_percent",
        "annual,1,1,0,0,0,100.0",
        "monthly,4,3,1,0,0,75.0",
        "one_off,9,8,0,1,0,88.9",
        "all,14,12,1,1,0,85.7",
    ]
    cli = await in_process(
        "report", "funnel", "--from", "2026-01-01", "--to", "2026-12-31", "--format", "csv",
        env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE},
    )  # fmt: skip
    assert cli.exit_code == 0, cli.stderr
    assert download.text == cli.stdout


@pytest.mark.asyncio
async def test_by_is_checked_only_by_the_period_export(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(year)
    # Progress is worked out at the moment of asking: its figures, not its whole text.
    progress = await dublin_client.get("/admin/export/progress.csv?by=fortnight", auth=AUTH)
    assert progress.status_code == 200 and "net,162.00,eur" in progress.text.splitlines()
    # Exports not cut by time ignore a stray ?by=, whatever it says.
    strays = {}
    for report in ("members", "sources", "funnel", "payments"):
        plain = await dublin_client.get(f"/admin/export/{report}.csv?{YEAR}", auth=AUTH)
        stray = await dublin_client.get(
            f"/admin/export/{report}.csv?{YEAR}&by=fortnight", auth=AUTH
        )
        assert (stray.status_code, stray.text) == (200, plain.text), report
        strays[report] = stray.text
    assert strays["sources"].splitlines() == [
        "source,currency,payments,gross",
        "(none),eur,6,132.00",
        "article-footer,eur,2,90.00",
        "newsletter,eur,1,25.00",
        "homepage,eur,2,10.00",
        "newsletter,gbp,1,15.00",
        "(none),jpy,1,1000",
    ]
    # The period export is cut by it: a bad one is refused before anything is sent.
    period = await dublin_client.get(f"/admin/export/period.csv?{YEAR}&by=fortnight", auth=AUTH)
    assert period.status_code == 400
    assert period.headers["content-type"] == "text/html; charset=utf-8"
    assert "by must be day, week or month, not &#39;fortnight&#39;" in period.text
    actions = await audit_actions(year)
    # Nine downloads, audited without the ?by= they did not use; the refusal is not audited.
    assert actions[-1] == ("export", "payments campaign=2026&from=2026-01-01&to=2026-12-31")
    assert [action for action, _ in actions] == ["login"] + ["export"] * 9
    assert [detail for _, detail in actions if "by=" in (detail or "")] == []


# --- the reports database ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def reports_template_url(
    template_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The replica's migrated template: a SQLite file, whatever the primary is.

    Each test copies it to a file of its own. On PostgreSQL too: the suite is given one
    database (TEST_DATABASE_URL) and creates no other beside it, and what is tested is which
    database the pages read, which a SQLite replica shows as well as a second PostgreSQL.
    """
    if is_sqlite(template_database_url):
        return template_database_url
    url = f"sqlite:///{tmp_path_factory.mktemp('reports-template') / 'template.db'}"
    migrations.upgrade(url)
    return url


@pytest.fixture
def reports_database_url(reports_template_url: str, tmp_path: Path) -> str:
    folder = tmp_path / "reports"
    folder.mkdir()
    return databases.fresh_database(reports_template_url, folder)


@pytest.mark.asyncio
async def test_the_dashboard_and_the_public_figure_read_the_reports_database(
    year: Database, dublin_settings: Settings, reports_database_url: str
) -> None:
    # The primary holds the login and the newsroom's year (net €162.00); the reports
    # database only the campaign and one €40.00 gift, booked there by an app of its own.
    await add_ana(year)
    reports = Database(reports_database_url)
    try:
        await add_the_campaign(reports)
    finally:
        await reports.dispose()
    gift = se.one_off_gift(4000, "eur", at("2026-06-01T10:00:00"), "lu@example.org")
    booking = dublin_settings.model_copy(update={"DATABASE_URL": reports_database_url})
    async with running_app(booking) as app, asgi_client(app) as http:
        booked = await deliver_all(http, gift.events, TEST_WEBHOOK_SECRET)
        assert [response.status_code for response in booked] == [200] * len(booked)

    settings = dublin_settings.model_copy(update={"REPORTS_DATABASE_URL": reports_database_url})
    async with running_app(settings) as app, asgi_client(app) as http:
        overview = await http.get("/admin?campaign=2026", auth=AUTH)
        progress = await http.get("/api/progress?campaign=2026")
        staff_progress = await http.get("/admin/api/progress?campaign=2026", auth=AUTH)
    assert overview.status_code == 200
    assert "Reader support 2026: 4.0% of the target" in overview.text
    assert "€40.00" in overview.text and "€162.00" not in overview.text
    assert progress.status_code == 200
    figures = progress.json()
    assert (figures["net"], figures["percent"], figures["supporters"]) == (4000, 4.0, 1)
    assert staff_progress.status_code == 200
    whole = staff_progress.json()
    assert (whole["gross"], whole["net"], whole["payments"]) == (4000, 4000, 1)
    # The login was checked against the primary, where staff live.
    assert await audit_actions(year) == [("login", None)]


@pytest.mark.asyncio
async def test_the_pace_chart_starts_at_zero_when_the_campaign_does(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    import xml.etree.ElementTree as ET

    await add_ana(year)
    response = await dublin_client.get("/admin", auth=AUTH)
    svg = response.text[response.text.index("<svg") : response.text.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    net, pace = root.findall(f"{ns}polyline")
    first_net = net.get("points", "").split()[0]
    first_pace = pace.get("points", "").split()[0]
    # Both lines start together on the y axis at €0.00, labelled with the campaign's first day.
    zero = next(t for t in root.findall(f"{ns}text") if t.text == "€0.00")
    assert first_net == first_pace
    assert float(first_net.split(",")[1]) == float(zero.get("y", "")) - 4
    labels = [t.text for t in root.findall(f"{ns}text") if (t.text or "").startswith("2026-")]
    assert labels[0] == "2026-03-30"
    # Weekly points, each labelled with the last day it counts (a Sunday), the last the
    # campaign's last day.
    assert labels[-1] == "2026-10-25"
    assert all(date.fromisoformat(label).weekday() == 6 for label in labels[1:])


@pytest.mark.asyncio
async def test_the_dashboard_shows_fees_in_the_currency_stripe_charged_them_in(
    year: Database, dublin_client: httpx.AsyncClient
) -> None:
    """A euro campaign whose Stripe account settles in US dollars: its fees are dollars."""
    await add_ana(year)
    async with year.session() as session:
        payments = (await session.exec(select(Payment))).all()
        for payment in payments:
            payment.fee, payment.fee_currency = 100, "usd"
        session.add_all(payments)
        await session.commit()
    figures = (await dublin_client.get("/admin/api/progress", auth=AUTH)).json()
    assert (figures["fees_currency"], figures["fees"] % 100) == ("usd", 0)
    page = await dublin_client.get("/admin", auth=AUTH)
    shown = format_amount(figures["fees"], "usd")
    assert shown.startswith("$")
    assert f"<dt>Stripe fees</dt><dd>{shown}</dd>" in page.text
