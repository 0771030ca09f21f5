"""Payouts end to end: the real app with the emulator mounted plays Stripe, its clock moves
on so that money is paid out and arrives; the `donations` commands explain every payout to the
cent, find what does not match, and write journals an accounting package imports."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlmodel import col, select

from donations.app import create_app
from donations.db import Database
from donations.models import Payment
from donations.settings import Settings
from donations.stripe_api import open_stripe_client
from tests.support.cli import in_process
from tests.support.servers import free_port, serve_in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]

DAY = 86400
CARD = "4242424242424242"
DISPUTED_CARD = "4000000000000259"
DONATIONS = str(Path(sys.executable).with_name("donations"))


@pytest.fixture
def site(database_url: str) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        DATABASE_URL=database_url,
        SITE_URL=f"http://127.0.0.1:{port}",
        CURRENCIES=["eur", "gbp"],
        DEFAULT_CURRENCY="eur",
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


class Emulated:
    """Stripe, as the emulator mounted in the app plays it."""

    def __init__(self, client: stripe.StripeClient, http: httpx.AsyncClient) -> None:
        self.client = client
        self.http = http

    async def control(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = "/stripe-emulator/_emulator" + path
        response = await (self.http.get(url) if body is None else self.http.post(url, json=body))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def give(self, amount: int, *, currency: str = "eur", card: str = CARD,
                   monthly: bool = False) -> str | None:  # fmt: skip
        """A paid Checkout Session; its PaymentIntent (None for a membership)."""
        price: dict[str, Any] = {"currency": currency, "unit_amount": amount,
                                 "product_data": {"name": "Contribution"}}  # fmt: skip
        if monthly:
            price["recurring"] = {"interval": "month"}
        session = await self.client.v1.checkout.sessions.create_async(
            params={
                "mode": "subscription" if monthly else "payment",
                "success_url": "http://127.0.0.1/thanks",
                "cancel_url": "http://127.0.0.1/contribute",
                "line_items": [{"quantity": 1, "price_data": price}],
            }
        )
        await self.control(f"/checkout/sessions/{session.id}/pay", {"card": card})
        paid = await self.client.v1.checkout.sessions.retrieve_async(session.id)
        return None if paid.payment_intent is None else str(paid.payment_intent)

    async def today(self) -> date:
        return datetime.fromtimestamp((await self.control("/clock"))["now"], UTC).date()

    async def days_pass(self, days: int) -> None:
        await self.control("/clock/advance", {"seconds": days * DAY})
        assert (await self.control("/deliveries/flush", {"timeout": 30}))["flushed"]

    async def deliveries_fail(self, failing: bool) -> None:
        """Every webhook delivery lost (no retry) while `failing`: events the app never gets.
        What was sent before is delivered first."""
        assert (await self.control("/deliveries/flush", {"timeout": 30}))["flushed"]
        options = {"failure_rate": 1.0, "max_attempts": 1} if failing else {"failure_rate": 0.0}
        await self.control("/deliveries/options", {**options, "max_attempts": 1 if failing else 5})


def _env(site: str, database_url: str) -> dict[str, str]:
    # No Stripe key: the emulator is Stripe, found through SITE_URL as `donations serve` has it.
    return {"DATABASE_URL": database_url, "SITE_URL": site}


def _read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


async def test_payouts_are_explained_to_the_cent_and_booked_in_balanced_journals(
    site: str, database_url: str, db: Database
) -> None:
    async with (
        httpx.AsyncClient(base_url=site, timeout=30) as http,
        open_stripe_client(Settings(SITE_URL=site), retries=0) as client,
    ):
        stripe_ = Emulated(client, http)
        first = await stripe_.today()
        gift = await stripe_.give(2000)
        await stripe_.give(1600, card=DISPUTED_CARD)
        await stripe_.give(1000, monthly=True)
        await stripe_.give(1200, currency="gbp")
        await client.v1.refunds.create_async(params={"payment_intent": gift, "amount": 500})
        # Available two days on at 00:00 UTC, paid out then, in the bank two days later.
        await stripe_.days_pass(6)
    env = _env(site, database_url)

    fetched = await in_process("reconcile", "payouts", env=env)
    assert fetched.exit_code == 0, fetched.output
    assert fetched.stdout == (
        "2 payouts to fetch: 2 explained (8 balance transactions), 0 not adding up yet, "
        "0 manual, 0 failed\n"
    )
    last = first + timedelta(days=6)
    days = ("--from", str(first), "--to", str(last), "--as-of", str(last + timedelta(days=14)))
    report = await in_process("report", "payouts", *days, "--format", "json", env=env)
    assert report.exit_code == 0, report.output
    explained = json.loads(report.stdout)
    assert explained["mismatches"] == []
    eur, gbp = explained["payouts"]
    arrival = str(first + timedelta(days=5))
    # 20.00, 16.00 and a 10.00 membership, fees 1.5% + 0.25 each; 5.00 refunded; the 16.00
    # disputed, with Stripe's 15.00 dispute fee: 19.45 + 15.51 + 9.60 - 5.00 - 31.00 = 8.56.
    assert {k: v for k, v in eur.items() if k != "payout"} == {
        "status": "paid", "arrival_date": arrival, "currency": "eur", "amount": 856,
        "gifts": 4600, "one_off": 3600, "recurring": 1000, "refunds": -500,
        "disputes": -1600, "fees": -1644, "other": 0, "total": 856, "difference": 0,
        "transactions": 5, "explained": True, "note": "",
    }  # fmt: skip
    assert {k: gbp[k] for k in ("currency", "amount", "one_off", "fees", "difference")} == {
        "currency": "gbp", "amount": 1157, "one_off": 1200, "fees": -43, "difference": 0,
    }  # fmt: skip

    lines = await in_process("report", "payouts", "--payout", eur["payout"], "--format", "json",
                             env=env)  # fmt: skip
    items = json.loads(lines.stdout)
    assert sorted((i["column"], i["amount"], i["fee"], i["net"]) for i in items) == [
        ("disputes", -1600, 1500, -3100), ("one_off", 1600, 49, 1551),
        ("one_off", 2000, 55, 1945), ("payout", -856, 0, -856), ("recurring", 1000, 40, 960),
        ("refunds", -500, 0, -500),
    ]  # fmt: skip
    assert all(i["ledger"] for i in items if i["column"] != "payout")

    quickbooks = await in_process("export", "journal", "--from", str(first), "--to", str(last),
                                  "--format", "quickbooks", env=env)  # fmt: skip
    assert quickbooks.exit_code == 0, quickbooks.output
    header, rows = _read(quickbooks.stdout)
    assert header == ["Journal No.", "Journal Date", "Account Name", "Description", "Debits",
                      "Credits"]  # fmt: skip
    debits = sum(Decimal(r["Debits"]) for r in rows if r["Debits"])
    credits = sum(Decimal(r["Credits"]) for r in rows if r["Credits"])
    # Bank 8.56 + refunds 5.00 + disputes 16.00 + fees 16.44 = gifts 36.00 + 10.00.
    assert debits == credits == Decimal("46.00")
    assert quickbooks.stderr.splitlines() == [
        f"left out {gbp['payout']}: in gbp: export it with --currency gbp",
        f"1 journals, {first} to {last}: debits €46.00, credits €46.00",
    ]
    xero = await in_process("export", "journal", "--from", str(first), "--to", str(last),
                            "--format", "xero", "--currency", "gbp", env=env)  # fmt: skip
    header, rows = _read(xero.stdout)
    assert header[:6] == ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate",
                          "*Amount"]  # fmt: skip
    assert [(r["*AccountCode"], r["*Amount"]) for r in rows] == [
        ("1000", "11.57"), ("4000", "-12.00"), ("6100", "0.43"),
    ]  # fmt: skip

    # `reconcile fees` reads the stored balance transactions: Stripe is not asked at all.
    unreachable = {**env, "STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    fees = await in_process("reconcile", "fees", env=unreachable)
    assert fees.exit_code == 0, fees.output
    assert fees.stdout.startswith("fees: 4 payments lacked one: fetched 4, unavailable 0")
    async with db.session() as session:
        stored = (
            await session.exec(
                select(Payment.amount, Payment.fee, Payment.fee_currency).order_by(
                    col(Payment.amount)
                )
            )
        ).all()
    assert stored == [(1000, 40, "eur"), (1200, 43, "gbp"), (1600, 49, "eur"), (2000, 55, "eur")]


async def test_an_unbooked_charge_and_a_missed_payout_event_are_both_mismatches(
    site: str, database_url: str
) -> None:
    async with (
        httpx.AsyncClient(base_url=site, timeout=30) as http,
        open_stripe_client(Settings(SITE_URL=site), retries=0) as client,
    ):
        stripe_ = Emulated(client, http)
        first = await stripe_.today()
        await stripe_.give(2000)
        # A gift whose every event was lost: Stripe has the money, the ledger never heard.
        await stripe_.deliveries_fail(True)
        unbooked = await stripe_.give(3000)
        await stripe_.deliveries_fail(False)
        await stripe_.days_pass(6)  # paid out and arrived, its events delivered
        later = await stripe_.give(1000)
        # Every event of the next payout lost: the ledger never learns of it.
        await stripe_.deliveries_fail(True)
        await stripe_.days_pass(6)
        await stripe_.deliveries_fail(False)
        charge = (await client.v1.payment_intents.retrieve_async(str(unbooked))).latest_charge
    env = _env(site, database_url)
    fetched = await in_process("reconcile", "payouts", env=env)
    assert fetched.stdout.startswith("1 payouts to fetch: 1 explained"), fetched.output
    last = first + timedelta(days=12)
    report = await in_process(
        "report", "payouts", "--from", str(first), "--to", str(last),
        "--as-of", str(last + timedelta(days=7)), "--format", "json", env=env,
    )  # fmt: skip
    explained = json.loads(report.stdout)
    [paid_out] = explained["payouts"]
    # 20.00 and 30.00 less their fees: the payout adds up, the stranger's charge in `other`.
    assert (paid_out["amount"], paid_out["one_off"], paid_out["other"], paid_out["difference"]) == (
        1945 + 2930, 2000, 3000, 0,
    )  # fmt: skip
    assert [(m["kind"], m["stripe_id"], m["amount"]) for m in explained["mismatches"]] == [
        ("not_in_ledger", charge, 3000),
        ("not_paid_out", later, 1000),
    ]
    # The CSV keeps its one table; the mismatches are said on stderr, never dropped.
    as_csv = await in_process(
        "report", "payouts", "--from", str(first), "--to", str(last),
        "--as-of", str(last + timedelta(days=7)), "--format", "csv", env=env,
    )  # fmt: skip
    assert [line.split(":")[0] for line in as_csv.stderr.splitlines()] == ["mismatch", "mismatch"]


async def test_after_the_demo_every_payout_is_explained_with_no_mismatch(
    database_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    demo = subprocess.run(
        [DONATIONS, "demo", "--payments", "30", "--seed", "1"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    line = next(text for text in demo.stdout.splitlines() if "explained to the cent" in text)
    words = line.split()
    count = int(words[1])
    assert count >= 2 and line.startswith(f"demo: {count} payouts, {count} explained")
    days = words[words.index("--from") :]
    again = subprocess.run([DONATIONS, "reconcile", "payouts"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert again.stdout.startswith("0 payouts to fetch"), again.stderr
    report = subprocess.run(
        [DONATIONS, "report", "payouts", *days, "--format", "json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    explained = json.loads(report.stdout)
    assert explained["mismatches"] == []
    assert len(explained["payouts"]) == count
    assert all(p["explained"] and p["difference"] == 0 for p in explained["payouts"])
    assert {p["currency"] for p in explained["payouts"]} >= {"eur", "gbp"}
