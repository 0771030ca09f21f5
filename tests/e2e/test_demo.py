"""`donations demo` end to end: its printed totals are what the ledger and the report hold."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import col, select
from typer.testing import CliRunner

from donations import cli
from donations.db import Database
from donations.models import Campaign, Dispute, Payment, Refund

pytestmark = pytest.mark.e2e

DONATIONS = str(Path(sys.executable).with_name("donations"))
TOTALS = re.compile(
    r"^demo totals eur (?P<slug>\S+) (?P<first>\S+)\.\.(?P<last>\S+): gross=(?P<gross>\d+) "
    r"refunded=(?P<refunded>\d+) disputed=(?P<disputed>\d+) net=(?P<net>-?\d+)$",
    re.MULTILINE,
)


def run(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "120"}
    return subprocess.run(
        [DONATIONS, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


async def ledger(database_url: str) -> tuple[Campaign, dict[str, int], dict[str, int]]:
    """The campaign, and its figures in euros and in pounds, summed from the ledger."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            campaign = (await session.exec(select(Campaign))).one()
        return campaign, await ledger_totals(db, campaign), await ledger_totals(db, campaign, "gbp")
    finally:
        await db.dispose()


async def ledger_totals(db: Database, campaign: Campaign, currency: str = "eur") -> dict[str, int]:
    """The campaign's figures summed in SQL straight from the ledger tables."""
    start = datetime.combine(campaign.starts_on, time(0), tzinfo=UTC)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), time(0), tzinfo=UTC)
    in_window = (
        (col(Payment.currency) == currency)
        & (col(Payment.paid_at) >= start)
        & (col(Payment.paid_at) < end)
    )
    async with db.session() as session:
        gross = (await session.exec(select(func.sum(Payment.amount)).where(in_window))).one()
        refunded = (
            await session.exec(
                select(func.sum(Refund.amount))
                .join(Payment, col(Refund.payment_id) == col(Payment.id))
                .where(in_window, col(Refund.status) == "succeeded")
            )
        ).one()
        disputed = (
            await session.exec(
                select(func.sum(Dispute.amount))
                .join(Payment, col(Dispute.payment_id) == col(Payment.id))
                .where(in_window, col(Dispute.status) != "won")
            )
        ).one()
    gross, refunded, disputed = gross or 0, refunded or 0, disputed or 0
    return {"gross": gross, "refunded": refunded, "disputed": disputed,
            "net": gross - refunded - disputed}  # fmt: skip


def test_demo_totals_equal_the_ledger_and_the_progress_report(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run twice on a fresh database: each summary is `report progress` (the second counts
    both runs), the readers come over the campaign's months, and nothing is dated after now."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for seed in ("1", "2"):
        demo = run("demo", "--payments", "30", "--seed", seed, database_url=database_url,
                   cwd=tmp_path)  # fmt: skip
        assert demo.returncode == 0, demo.stderr
        printed = TOTALS.search(demo.stdout)
        assert printed is not None, demo.stdout
        totals = {name: int(printed[name]) for name in ("gross", "refunded", "disputed", "net")}
        # The shares the demo deals: 30 readers include a refund and a dispute.
        assert totals["gross"] > 0 and totals["refunded"] > 0 and totals["disputed"] > 0

        campaign, summed, in_pounds = asyncio.run(ledger(database_url))
        assert (campaign.slug, campaign.currency, campaign.target) == (
            printed["slug"], "eur", 5_000_000,
        )  # fmt: skip
        assert (str(campaign.starts_on), str(campaign.ends_on)) == (
            printed["first"], printed["last"],
        )  # fmt: skip
        assert summed == totals

        report = CliRunner().invoke(cli.app, ["report", "progress", "--format", "json"])
        assert report.exit_code == 0, report.output
        progress = json.loads(report.stdout)
        assert {name: progress[name] for name in totals} == totals
        assert progress["campaign"] == campaign.slug
        # The table of the demo says the same, formatted.
        assert f"€{progress['net'] / 100:,.2f} of €50,000.00" in demo.stdout
        # Its fees were fetched while its emulator ran: none left unknown.
        assert progress["fees"] is not None and progress["fees_unavailable"] == 0
        for currency, pounds in progress["other_currencies"].items():
            assert currency in ("gbp", "usd")
            if currency == "gbp":
                assert {name: pounds[name] for name in in_pounds} == in_pounds

    moments = asyncio.run(every_moment(database_url))
    now = datetime.now(UTC)
    assert max(moments) <= now
    # A year of readers: payments in most months of the campaign so far.
    months = {moment.strftime("%Y-%m") for moment in moments}
    assert len(months) >= min(6, now.month)


async def every_moment(database_url: str) -> list[datetime]:
    """When every payment was paid, refund made and dispute opened."""
    db = Database(database_url)
    try:
        async with db.session() as session:
            paid = (await session.exec(select(Payment.paid_at))).all()
            refunded = (await session.exec(select(Refund.refunded_at))).all()
            disputed = (await session.exec(select(Dispute.disputed_at))).all()
        return [moment.astimezone(UTC) for moment in (*paid, *refunded, *disputed)]
    finally:
        await db.dispose()


def test_demo_refuses_a_real_stripe_key(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_real")
    result = CliRunner().invoke(cli.app, ["demo", "--payments", "1"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: donations demo only runs against the bundled emulator: unset STRIPE_SECRET_KEY\n"
    )
