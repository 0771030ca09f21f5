from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select

from donations.db import Database
from donations.models import AuditLog
from donations.reports import funnel, recent, sources
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.staff import add_staff

NAME, PASSWORD = "ana", "correct horse battery"
AUTH = (NAME, PASSWORD)


async def add_ana(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD)


async def audit_actions(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        rows = await session.exec(select(AuditLog).order_by(col(AuditLog.id)))
        return [(row.action, row.detail) for row in rows]


@pytest.mark.asyncio
async def test_admin_asks_for_a_login(dublin_client: httpx.AsyncClient) -> None:
    response = await dublin_client.get("/admin")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="donations admin", charset="UTF-8"'


@pytest.mark.asyncio
async def test_five_wrong_passwords_lock_the_login_with_429(
    db: Database, dublin_client: httpx.AsyncClient
) -> None:
    await add_ana(db)
    statuses = [
        (await dublin_client.get("/admin", auth=(NAME, "wrong password"))).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    locked = await dublin_client.get("/admin", auth=AUTH)
    assert locked.status_code == 429
    assert locked.text.startswith("Too many failed logins: this login is locked until ")
    assert 890 <= int(locked.headers["retry-after"]) <= 900


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
        "/admin/members?from=2026-05-01&to=2026-06-30": ["25.0%", "€10.00"],
        "/admin/sources?from=2026-01-01&to=2026-12-31": ["article-footer", "€90.00"],
        "/admin/funnel?from=2026-01-01&to=2026-12-31": ["85.7%"],
        "/admin/payments": ["k***@example.org", "€40.00"],
        "/admin/snapshots": ["No snapshots yet."],
    }
    for path, texts in expected.items():
        response = await dublin_client.get(path, auth=AUTH)
        assert response.status_code == 200, path
        for text in texts:
            assert text in response.text, (path, text)
        assert "kim@example.org" not in response.text
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
        "2026-10-25,eur,1200,0,0,1200,,1,1,1200,0,0,0,0",
        "2026-10-26,eur,4000,0,0,4000,,1,1,4000,0,0,0,0",
    ]
    headers = {
        "progress": ("figure", "value"),
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
    assert "net,16200" in downloads["progress"]
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
