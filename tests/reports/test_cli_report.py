from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from typer.testing import Result

from donations.db import Database
from donations.models import Campaign
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.reports.progress import PUBLIC_KEYS
from donations.reports.snapshots import snapshot_history
from tests.reports.ledger_fixtures import TIMEZONE
from tests.reports.test_admin import AUTH, add_ana
from tests.support.cli import in_process


async def donations(*args: str, database_url: str) -> Result:
    """`donations` on the test's database, in the newsroom's zone."""
    return await in_process(*args, env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE})


@pytest.mark.asyncio
async def test_progress_json_is_the_api_figure(
    year: Database, database_url: str, dublin_client: httpx.AsyncClient
) -> None:
    result = await donations("report", "progress", "--format", "json", database_url=database_url)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    # The figures of test_progress, worked out there.
    assert (figures["gross"], figures["refunded"], figures["disputed"], figures["net"]) == (
        19200,
        1000,
        2000,
        16200,
    )
    assert figures["other_currencies"]["jpy"]["net"] == 1000
    await add_ana(year)
    staff = await dublin_client.get("/admin/api/progress", auth=AUTH)
    public = await dublin_client.get("/api/progress")
    assert (staff.status_code, public.status_code) == (200, 200)
    # Computed a moment apart: every figure agrees, only the time of computing may not; the
    # public figure is the subset a newsroom prints on its site.
    assert {**figures, "as_of": None} == {**staff.json(), "as_of": None}
    assert {**public.json(), "as_of": None} == {key: figures[key] for key in PUBLIC_KEYS} | {
        "as_of": None
    }


@pytest.mark.asyncio
async def test_progress_table_formats_money_in_each_currency(
    year: Database, database_url: str
) -> None:
    result = await donations("report", "progress", "--campaign", "2026", database_url=database_url)
    assert result.exit_code == 0, result.stderr
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip()
             for line in result.stdout.splitlines() if line.count("│") == 3}  # fmt: skip
    assert lines["net"] == "€162.00"
    assert lines["percent"] == "16.2%"
    assert lines["one_off.amount"] == "€112.00"
    assert lines["other_currencies.gbp.gross"] == "£15.00"
    assert lines["other_currencies.jpy.gross"] == "¥1,000"


@pytest.mark.asyncio
async def test_period_csv_is_written_to_the_output_file(
    year: Database, database_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "spring.csv"
    result = await donations(
        "report", "period", "--from", "2026-03-29", "--to", "2026-03-30", "--by", "day",
        "--format", "csv", "--output", str(output), database_url=database_url,
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, "")
    assert output.read_text() == (
        "period,currency,gross,refunded,disputed,net,fees,payments,one_off_count,"
        "one_off_amount,recurring_count,recurring_amount,refunds,disputes\n"
        "2026-03-29,eur,25.00,0.00,0.00,25.00,,1,1,25.00,0,0.00,0,0\n"
        "2026-03-30,eur,50.00,0.00,0.00,50.00,,1,1,50.00,0,0.00,0,0\n"
    )


@pytest.mark.asyncio
async def test_sources_members_and_funnel_answer_in_every_format(
    year: Database, database_url: str
) -> None:
    span = ("--from", "2026-01-01", "--to", "2026-12-31")
    may_june = ("--from", "2026-05-01", "--to", "2026-06-30")

    async def report(name: str, *args: str) -> str:
        result = await donations("report", name, *args, database_url=database_url)
        assert result.exit_code == 0, (name, args, result.stderr)
        return result.stdout

    sources = await report("sources", *span, "--format", "csv")
    assert sources.splitlines()[:2] == [
        "source,currency,payments,gross",
        "(none),eur,6,132.00",
    ]
    sources_json = json.loads(await report("sources", *span, "--format", "json"))
    assert sources_json[0] == {"source": "(none)", "currency": "eur", "payments": 6, "gross": 13200}
    assert "€132.00" in await report("sources", *span)
    members = await report("members", *may_june, "--format", "json")
    assert json.loads(members)["churn_percent"] == 25.0
    assert (await report("members", *may_june, "--format", "csv")).splitlines()[0] == ",".join(
        MEMBER_COLUMNS
    )
    assert "25.0%" in await report("members", *may_june)
    funnel = await report("funnel", *span)
    assert "85.7%" in funnel  # 12 of 14 sessions completed
    funnel_json = json.loads(await report("funnel", *span, "--format", "json"))
    assert funnel_json[-1]["frequency"] == "all"
    assert (await report("funnel", *span, "--format", "csv")).splitlines()[-1] == (
        "all,14,12,1,1,0,85.7"
    )


@pytest.mark.asyncio
async def test_snapshot_stores_each_campaign_for_the_history(
    year: Database, database_url: str
) -> None:
    result = await donations("report", "snapshot", database_url=database_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("snapshot 2026: net €162.00, 9 payments, at ")
    async with year.session() as session:
        campaign = (await session.exec(select(Campaign))).one()
        history = await snapshot_history(session=session, campaign=campaign)
    assert [(snapshot.net, snapshot.payments) for snapshot in history] == [(16200, 9)]
    assert json.loads(history[0].payload)["gross"] == 19200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("progress", "--campaign", "nope"), "no campaign with slug 'nope'"),
        (("period", "--from", "2026-05-01", "--to", "2026-03-01"),
         "--from 2026-05-01 is after --to 2026-03-01"),
        (("members", "--from", "2026-02-30"),
         "--from must be a date like 2026-01-31, not '2026-02-30'"),
        (("period", "--by", "year"), "--by must be day, week or month, not 'year'"),
        (("period", "--from", "2000-01-01", "--to", "2026-01-01", "--by", "day"), "too many"),
    ],
)  # fmt: skip
@pytest.mark.asyncio
async def test_bad_report_input_exits_2_with_one_line(
    database_url: str, args: tuple[str, ...], message: str
) -> None:
    result = await donations("report", *args, database_url=database_url)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


@pytest.mark.asyncio
async def test_reports_read_from_the_replica_when_one_is_configured(
    year: Database, database_url: str
) -> None:
    # The primary is unreachable; the report never needs it.
    env = {
        "DATABASE_URL": "sqlite:////nonexistent/primary.db",
        "REPORTS_DATABASE_URL": database_url,
        "REPORT_TIMEZONE": TIMEZONE,
    }
    result = await in_process("report", "progress", "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["net"] == 16200
