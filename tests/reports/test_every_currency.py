"""A ledger holding money in every currency Stripe presents, and one Stripe added later:
every admin page, every export and every report command shows it, none fails.

Rows are written with the models (not through webhooks): what is tested here is the
reading side, whatever currency the ledger holds.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from donations.campaigns import add_campaign, validate_campaign
from donations.db import Database
from donations.models import (
    Checkout,
    Dispute,
    Membership,
    Payment,
    Refund,
    Supporter,
)
from donations.money import STRIPE_CURRENCIES
from donations.staff import add_staff
from tests.reports.ledger_fixtures import TIMEZONE, add_the_campaign
from tests.support.cli import in_process

NAME, PASSWORD = "ana", "correct horse battery"
AUTH = (NAME, PASSWORD)
YEAR = "from=2026-01-01&to=2026-12-31"
# The Caribbean guilder (2025) stands for a currency Stripe adds after our table was written.
LATER = "xcg"
CODES = sorted([*STRIPE_CURRENCIES, LATER])
JUNE = datetime(2026, 6, 15, 12, tzinfo=UTC)
# Shown last on the recent payments page (most recent first).
LATEST = ("kwd", "jpy", LATER)

ONE_OFF, MEMBERSHIP, REFUNDED, DISPUTED = 1234, 1000, 100, 200
GROSS = ONE_OFF + MEMBERSHIP
NET = GROSS - REFUNDED - DISPUTED


def one_off_amount(code: str) -> int:
    return 500 if code == "jpy" else ONE_OFF


def paid_at(code: str) -> datetime:
    return JUNE.replace(hour=13 + LATEST.index(code)) if code in LATEST else JUNE


@pytest_asyncio.fixture
async def every_currency(db: Database) -> Database:
    """Per currency: a one-off gift refunded in part, a membership whose first invoice is
    disputed, and the completed checkout of the gift. One campaign counts euros, the other
    Kuwaiti dinars."""
    await add_the_campaign(db)
    async with db.session() as session:
        await add_campaign(
            session=session,
            campaign=validate_campaign(slug="gulf", name="Gulf readers", target="1500.250",
                                       currency="kwd", starts="2026-01-01", ends="2026-12-31"),
        )  # fmt: skip
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        reader = Supporter(email="kim@example.org")
        session.add(reader)
        await session.flush()
        members = {
            code: Membership(stripe_subscription_id=f"sub_{code}", supporter_id=reader.id,
                             status="active", amount=MEMBERSHIP, currency=code, interval="month",
                             started_at=JUNE, created_at=JUNE)
            for code in CODES
        }  # fmt: skip
        session.add_all(members.values())
        await session.flush()
        gifts = {
            code: Payment(kind="one_off", amount=one_off_amount(code), currency=code,
                          paid_at=paid_at(code), stripe_payment_intent_id=f"pi_{code}",
                          supporter_id=reader.id, source=f"{code}-page")
            for code in CODES
        }  # fmt: skip
        invoices = {
            code: Payment(kind="recurring", amount=MEMBERSHIP, currency=code, paid_at=JUNE,
                          stripe_invoice_id=f"in_{code}", supporter_id=reader.id,
                          membership_id=members[code].id, source=f"{code}-page")
            for code in CODES
        }  # fmt: skip
        session.add_all([*gifts.values(), *invoices.values()])
        await session.flush()
        for code in CODES:
            session.add_all([
                Refund(stripe_refund_id=f"re_{code}", payment_id=gifts[code].id, amount=REFUNDED,
                       currency=code, status="succeeded", refunded_at=JUNE, once_succeeded=True),
                Dispute(stripe_dispute_id=f"dp_{code}", payment_id=invoices[code].id,
                        amount=DISPUTED, currency=code, status="needs_response",
                        disputed_at=JUNE, withdrawn_at=JUNE),
                Checkout(id=f"co_{code}", amount=one_off_amount(code), currency=code,
                         frequency="one_off", status="complete", created_at=JUNE),
            ])  # fmt: skip
        await session.commit()
    return db


# Written out by hand from each currency's minor unit, not by format_amount.
KWD = {"one_off": "1.234 KWD", "membership": "1.000 KWD", "gross": "2.234 KWD",
       "refunded": "0.100 KWD", "disputed": "0.200 KWD", "net": "1.934 KWD"}  # fmt: skip
JPY = {"one_off": "¥500", "membership": "¥1,000", "gross": "¥1,500",
       "refunded": "¥100", "disputed": "¥200", "net": "¥1,200"}  # fmt: skip
BIF = {"gross": "2,234 BIF", "net": "1,934 BIF"}
BHD = {"gross": "2.234 BHD", "net": "1.934 BHD"}
ISK = {"gross": "22.34 ISK", "net": "19.34 ISK"}
USD = {"gross": "$22.34", "net": "$19.34"}
XCG = {"one_off": "Cg.12.34", "gross": "Cg.22.34", "net": "Cg.19.34"}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the rich tables in a command's output; a cell that rich
    wrapped over several lines is joined back into one."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("│"):
            continue
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells[0] or not rows:
            rows.append(cells)
        else:
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
    return rows


@pytest.mark.asyncio
async def test_every_admin_page_shows_every_currency_in_its_own_minor_unit(
    every_currency: Database, dublin_client: httpx.AsyncClient
) -> None:
    pages = {}
    for path in ("/admin?campaign=2026", f"/admin/months?{YEAR}", f"/admin/members?{YEAR}",
                 f"/admin/sources?{YEAR}", f"/admin/funnel?{YEAR}", "/admin/payments",
                 "/admin/snapshots?campaign=2026"):  # fmt: skip
        response = await dublin_client.get(path, auth=AUTH)
        assert response.status_code == 200, (path, response.text[-2000:])
        pages[path.split("?")[0]] = response.text

    overview = pages["/admin"]
    assert "€19.34" in overview  # the campaign's own net
    for code in CODES:
        if code != "eur":
            assert f"<td>{code.upper()}</td>" in overview, code
    for money in (KWD, JPY, BIF, BHD, ISK, USD, XCG):
        for figure in ("gross", "net"):
            assert money[figure] in overview, (money, figure)
    assert all(KWD[figure] in overview for figure in ("refunded", "disputed"))

    months = pages["/admin/months"]
    assert months.count("<td>2026-06</td>") == len(CODES)
    assert all(money["net"] in months for money in (KWD, JPY, BIF, BHD, ISK, USD, XCG))

    members = pages["/admin/members"]
    assert "1.000 KWD to under 2.000 KWD" in members
    assert "¥1,000 to under ¥2,000" in members
    assert f"<dt>MRR ({LATER.upper()})</dt><dd>Cg.10.00</dd>" in members

    # The top 20 sources: by currency, then gross.
    sources = pages["/admin/sources"]
    assert "<td>bhd-page</td><td>BHD</td>" in sources and BHD["gross"] in sources
    assert "<td>bif-page</td><td>BIF</td>" in sources and BIF["gross"] in sources

    assert '<td class="n">' + str(len(CODES)) + "</td>" in pages["/admin/funnel"]

    payments = pages["/admin/payments"]
    for shown in (KWD["one_off"], JPY["one_off"], XCG["one_off"]):
        assert shown in payments, shown


@pytest.mark.asyncio
async def test_a_campaign_in_a_three_decimal_currency_is_charted_and_published(
    every_currency: Database, dublin_client: httpx.AsyncClient
) -> None:
    overview = await dublin_client.get("/admin?campaign=gulf", auth=AUTH)
    assert overview.status_code == 200
    assert f'<dd id="net">{KWD["net"]}</dd>' in overview.text
    assert "<dd>1,500.250 KWD</dd>" in overview.text
    assert f"net raised {KWD['net']} against" in overview.text  # the pace chart's words
    months = await dublin_client.get(f"/admin/months?campaign=gulf&{YEAR}", auth=AUTH)
    assert months.status_code == 200
    assert "One-off and recurring money by month (KWD)" in months.text
    assert f"2026-06: one-off {KWD['one_off']}, recurring {KWD['membership']}" in months.text
    widget = await dublin_client.get("/widget/progress?campaign=gulf")
    assert widget.status_code == 200
    assert f"<strong>{KWD['net']}</strong> raised of 1,500.250 KWD" in widget.text
    api = await dublin_client.get("/api/progress?campaign=gulf")
    assert (api.json()["currency"], api.json()["net"], api.json()["target"]) == (
        "kwd",
        NET,
        1_500_250,
    )


def in_major(amount: int, code: str) -> str:
    """What a CSV cell holds: the amount in major units, with the currency's decimals."""
    places = STRIPE_CURRENCIES.get(code, 2)
    if not places:
        return str(amount)
    return f"{amount // 10**places}.{amount % 10**places:0{places}d}"


@pytest.mark.asyncio
async def test_every_export_holds_every_currency_in_major_units(
    every_currency: Database, dublin_client: httpx.AsyncClient
) -> None:
    exports = {}
    for report in ("progress", "period", "members", "sources", "funnel", "payments"):
        response = await dublin_client.get(
            f"/admin/export/{report}.csv?campaign=2026&{YEAR}", auth=AUTH
        )
        assert response.status_code == 200, (report, response.text[-2000:])
        exports[report] = response.text

    progress = {
        row["figure"]: (row["value"], row["currency"]) for row in csv_rows(exports["progress"])
    }
    assert (progress["gross"], progress["net"]) == (("22.34", "eur"), ("19.34", "eur"))
    assert progress["payments"] == ("2", "")
    assert progress["other_currencies.kwd.net"] == ("1.934", "kwd")
    assert progress["other_currencies.jpy.net"] == ("1200", "jpy")
    assert progress[f"other_currencies.{LATER}.gross"] == ("22.34", LATER)

    period = {row["currency"]: row for row in csv_rows(exports["period"])}
    assert sorted(period) == CODES
    assert {code: (row["gross"], row["refunded"], row["disputed"], row["net"])
            for code, row in period.items() if code != "jpy"} == {
        code: tuple(in_major(amount, code) for amount in (GROSS, REFUNDED, DISPUTED, NET))
        for code in set(CODES) - {"jpy"}
    }  # fmt: skip
    assert (period["jpy"]["gross"], period["jpy"]["net"]) == ("1500", "1200")
    assert (period["kwd"]["gross"], period["bif"]["gross"]) == ("2.234", "2234")

    members = csv_rows(exports["members"])
    assert sorted(row["currency"] for row in members) == CODES
    assert {row["active"] for row in members} == {"1"}
    assert {row["currency"]: row["mrr"] for row in members}["kwd"] == "1.000"

    sources = {row["source"]: row for row in csv_rows(exports["sources"])}
    assert (sources["kwd-page"]["currency"], sources["kwd-page"]["gross"]) == ("kwd", "2.234")

    assert csv_rows(exports["funnel"])[-1]["completed"] == str(len(CODES))

    payments = csv_rows(exports["payments"])
    assert [(row["currency"], row["amount"]) for row in payments[:3]] == [
        (LATER, "12.34"),
        ("jpy", "500"),
        ("kwd", "1.234"),
    ]


REPORTS = {
    "progress": ("--campaign", "2026"),
    "period": ("--from", "2026-01-01", "--to", "2026-12-31", "--by", "month"),
    "members": ("--from", "2026-01-01", "--to", "2026-12-31"),
    "sources": ("--from", "2026-01-01", "--to", "2026-12-31"),
    "funnel": ("--from", "2026-01-01", "--to", "2026-12-31"),
}


@pytest.mark.asyncio
async def test_every_report_command_runs_in_every_format(
    every_currency: Database, database_url: str
) -> None:
    outputs = {}
    for report, options in REPORTS.items():
        for format_ in ("table", "json", "csv"):
            result = await in_process(
                "report", report, *options, "--format", format_,
                # Wide enough for every table as a table (80 prints records: test_cli_tables).
                env={"DATABASE_URL": database_url, "REPORT_TIMEZONE": TIMEZONE, "COLUMNS": "200"},
            )  # fmt: skip
            assert result.exit_code == 0, (report, format_, result.output)
            assert "Traceback" not in result.output
            outputs[report, format_] = result.stdout

    progress = json.loads(outputs["progress", "json"])
    assert sorted(progress["other_currencies"]) == sorted(set(CODES) - {"eur"})
    assert progress["other_currencies"]["kwd"] == {
        "gross": GROSS, "refunded": REFUNDED, "disputed": DISPUTED, "net": NET, "payments": 2,
    }  # fmt: skip
    figures = dict(table_rows(outputs["progress", "table"]))
    assert (figures["net"], figures["other_currencies.kwd.net"]) == ("€19.34", KWD["net"])
    assert figures["other_currencies.jpy.gross"] == JPY["gross"]
    assert figures[f"other_currencies.{LATER}.net"] == XCG["net"]

    nets = {row[1]: row[5] for row in table_rows(outputs["period", "table"])}
    assert len(nets) == len(CODES)
    assert [nets[code] for code in ("kwd", "jpy", "bif", "bhd", "isk", "usd", LATER)] == [
        money["net"] for money in (KWD, JPY, BIF, BHD, ISK, USD, XCG)
    ]
    period = {row["currency"]: row for row in json.loads(outputs["period", "json"])}
    assert (period["kwd"]["net"], period[LATER]["net"]) == (NET, NET)

    members = json.loads(outputs["members", "json"])
    assert members["mrr"]["kwd"] == MEMBERSHIP and members["mrr"]["jpy"] == MEMBERSHIP
    members_table = table_rows(outputs["members", "table"])
    assert ["kwd", "month", "1", "1.000 KWD to under 2.000 KWD"] in [
        row[:4] for row in members_table
    ]
    mrr = dict(row for row in members_table if len(row) == 2)["mrr"]
    assert "1.000 KWD" in mrr.split(", ") and "¥1,000" in mrr.split(", ")

    sources = {row["source"]: row for row in json.loads(outputs["sources", "json"])}
    assert (sources["jpy-page"]["gross"], sources[f"{LATER}-page"]["gross"]) == (1500, GROSS)
    assert ["kwd-page", "kwd", "2", KWD["gross"]] in table_rows(outputs["sources", "table"])

    funnel = json.loads(outputs["funnel", "json"])
    assert funnel[-1]["completed"] == len(CODES)
    assert csv_rows(outputs["funnel", "csv"])[-1]["completed"] == str(len(CODES))
    assert csv_rows(outputs["sources", "csv"])[0]["currency"] == "aed"
    # CSV from the command line: major units beside the currency, as the downloads.
    cli_sources = {row["source"]: row for row in csv_rows(outputs["sources", "csv"])}
    assert [cli_sources[f"{code}-page"]["gross"] for code in ("kwd", "jpy", "eur")] == [
        "2.234", "1500", "22.34",
    ]  # fmt: skip
    cli_period = {row["currency"]: row["net"] for row in csv_rows(outputs["period", "csv"])}
    assert (cli_period["kwd"], cli_period["jpy"], cli_period["usd"]) == ("1.934", "1200", "19.34")
    cli_members = {row["currency"]: row["mrr"] for row in csv_rows(outputs["members", "csv"])}
    assert (cli_members["kwd"], cli_members["jpy"]) == ("1.000", "1000")
    cli_progress = {row["figure"]: row for row in csv_rows(outputs["progress", "csv"])}
    assert (cli_progress["net"]["value"], cli_progress["net"]["currency"]) == ("19.34", "eur")
