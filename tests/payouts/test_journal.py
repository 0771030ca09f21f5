"""Journals: one per payout, each balanced, their totals the payouts report's; and the files
read back against the columns Xero and QuickBooks Online document for their imports."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

import stripe_events as se
from donations.db import Database
from donations.payouts.explained import PayoutRow, payout_rows
from donations.payouts.journal import Accounts, Journal, Line, journals
from donations.payouts.journal_files import (
    JournalFileError,
    JournalFormat,
    file_lines,
    quickbooks_lines,
    xero_lines,
)
from tests.payouts.factories import (
    T,
    a_month_of_payouts,
    charge_of,
    payout,
    receive,
    store,
    txn,
)

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
ACCOUNTS = Accounts(
    bank="090", stripe_clearing="615", donations_one_off="260", donations_recurring="261",
    refunds="265", disputes="266", stripe_fees="404",
)  # fmt: skip

# The columns of Xero's manual journal template, as https://help.xero.com/nz/ManualJournalsImport
# describes them (its template marks the mandatory ones with *).
XERO_DOCUMENTED = [
    "*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
    "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
]  # fmt: skip
# QuickBooks Online's journal entry import: "Journal No., Journal Date, Account Name,
# Description, Debits, Credits" (quickbooks.intuit.com, "Import journal entries").
QUICKBOOKS_DOCUMENTED = [
    "Journal No.", "Journal Date", "Account Name", "Description", "Debits", "Credits",
]  # fmt: skip


async def _march(db: Database) -> list[PayoutRow]:
    await a_month_of_payouts(db)
    async with db.session() as session:
        return await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])


def _by_account(journal: Journal) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for line in journal.lines:
        totals[line.account] += line.amount
    return dict(totals)


@pytest.mark.asyncio
async def test_every_journal_balances_and_its_lines_are_the_payouts_report(db: Database) -> None:
    rows = await _march(db)
    made = journals(rows, ACCOUNTS)
    assert [j.payout for j in made.journals] == [rows[0].payout, rows[1].payout]
    for journal, row in zip(made.journals, rows, strict=False):
        assert journal.debits == journal.credits > 0
        assert sum(line.amount for line in journal.lines) == 0
        assert (journal.date, journal.currency) == (row.arrival_date, row.currency)
        by_account = _by_account(journal)
        assert by_account["090"] == row.amount
        assert by_account.get("260", 0) == -row.one_off
        assert by_account.get("261", 0) == -row.recurring
        assert by_account.get("265", 0) == -row.refunds
        assert by_account.get("266", 0) == -row.disputes
        assert by_account["404"] == -row.fees
        assert by_account.get("615", 0) == -row.other
    euros = made.journals[0]
    assert [(line.account, line.amount) for line in euros.lines] == [
        ("090", 3978), ("260", -4100), ("261", -1000), ("265", 500), ("266", 1600),
        ("404", 1922), ("615", -2900),
    ]  # fmt: skip
    # The payout never fetched is not explained: no journal, and it says why.
    [(payout, reason)] = [(left.payout, left.reason) for left in made.left_out]
    assert payout == rows[2].payout
    assert reason == "not explained: not fetched yet: run `donations reconcile payouts`"


@pytest.mark.asyncio
async def test_a_failed_payout_is_booked_to_stripe_clearing_and_the_next_one_clears_it(
    db: Database,
) -> None:
    gift = se.one_off_gift(5000, "eur", T, "lu@example.org")
    later = se.one_off_gift(2000, "eur", T + 4 * se.DAY, "mo@example.org")
    await receive(db, gift.events + later.events)
    failed = payout([charge_of(gift)], T + 3 * se.DAY, path=("pending", "in_transit", "failed"))
    # The bank returned it: Stripe gives the money back to the balance, and the next payout
    # carries it again (https://docs.stripe.com/api/balance_transactions/object, payout_failure).
    returned = txn(4900, "eur", T + 6 * se.DAY, category="payout_reversal", type="payout_failure",
                   source=failed.id)  # fmt: skip
    next_one = payout([charge_of(later), returned], T + 7 * se.DAY)
    await receive(db, failed.record.events + next_one.record.events)
    assert await store(db, failed) and await store(db, next_one)
    async with db.session() as session:
        rows = await payout_rows(session=session, first_day=MARCH[0], last_day=MARCH[1])
    made = journals(rows, ACCOUNTS)
    assert [[(line.account, line.amount, line.description) for line in j.lines]
            for j in made.journals] == [
        [("615", 4900, "Payout failed: back in the Stripe balance"), ("260", -5000, "One-off gifts"),
         ("404", 100, "Stripe fees")],
        [("090", 6845, "Payout to the bank"), ("260", -2000, "One-off gifts"),
         ("404", 55, "Stripe fees"), ("615", -4900, "Other Stripe balance movements")],
    ]  # fmt: skip
    clearing = sum(_by_account(journal).get("615", 0) for journal in made.journals)
    assert clearing == 0


@pytest.mark.asyncio
async def test_a_payout_on_its_way_and_one_in_another_currency_are_left_out_with_the_reason(
    db: Database,
) -> None:
    rows = await _march(db)
    on_its_way = PayoutRow(**{**vars(rows[0]), "payout": "po_on_its_way", "status": "in_transit"})
    made = journals([*rows[:2], on_its_way], ACCOUNTS, currency="eur")
    assert [j.payout for j in made.journals] == [rows[0].payout]
    assert [(left.payout, left.reason) for left in made.left_out] == [
        (rows[1].payout, "in gbp: export it with --currency gbp"),
        ("po_on_its_way", "not arrived yet (in_transit)"),
    ]


def _read(text: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO("".join(text)))
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.asyncio
async def test_the_xero_file_is_xeros_manual_journal_template_and_each_journal_balances(
    db: Database,
) -> None:
    rows = await _march(db)
    made = journals(rows, ACCOUNTS, currency="eur")
    header, lines = _read(list(xero_lines(made.journals, tax_rate="Tax Exempt")))
    assert header == XERO_DOCUMENTED
    assert len(lines) <= 300
    per_journal: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        # Mandatory: narration, a dd/mm/yyyy date, a code, a tax rate, a signed amount.
        assert all(line[name] for name in XERO_DOCUMENTED if name.startswith("*"))
        datetime.strptime(line["*Date"], "%d/%m/%Y")
        amount = Decimal(line["*Amount"])
        assert amount == amount.quantize(Decimal("0.01")) and amount != 0
        per_journal[line["*Narration"], line["*Date"]] += amount
    assert per_journal == {(f"Stripe payout {rows[0].payout}", "07/03/2026"): Decimal(0)}
    bank = next(line for line in lines if line["*AccountCode"] == "090")
    assert (bank["*Amount"], bank["*TaxRate"]) == ("39.78", "Tax Exempt")
    fees = next(line for line in lines if line["*AccountCode"] == "404")
    assert fees["*Amount"] == "19.22"
    one_off = next(line for line in lines if line["*AccountCode"] == "260")
    assert one_off["*Amount"] == "-41.00"  # a credit, a number (not made inert as text)


@pytest.mark.asyncio
async def test_the_quickbooks_file_is_the_documented_import_and_its_totals_the_reports(
    db: Database,
) -> None:
    rows = await _march(db)
    made = journals(rows, ACCOUNTS, currency="eur")
    text = list(quickbooks_lines(made.journals, date_format="DD/MM/YYYY"))
    header, lines = _read(text)
    assert header == QUICKBOOKS_DOCUMENTED
    debits: dict[str, Decimal] = defaultdict(Decimal)
    credits: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        assert 0 < len(line["Journal No."]) <= 21
        assert datetime.strptime(line["Journal Date"], "%d/%m/%Y").date() == date(2026, 3, 7)
        assert line["Account Name"] and line["Description"]
        # One side each, a positive amount.
        assert bool(line["Debits"]) != bool(line["Credits"])
        amount = Decimal(line["Debits"] or line["Credits"])
        assert amount > 0
        (debits if line["Debits"] else credits)[line["Journal No."]] += amount
    assert debits == credits == {rows[0].payout[-21:]: Decimal("80.00")}
    # 39.78 bank + 5.00 refunds + 16.00 disputes + 19.22 fees = 41.00 + 10.00 + 29.00.
    row = rows[0]
    assert debits[row.payout[-21:]] * 100 == row.amount - row.refunds - row.disputes - row.fees


def test_more_lines_than_xero_imports_in_one_file_are_refused_before_anything_is_written() -> None:
    lines = (Line("090", "Payout to the bank", 100), Line("260", "One-off gifts", -100))
    many = [
        Journal(f"po_{n}", date(2026, 3, 1), "eur", f"Stripe payout po_{n}", lines)
        for n in range(151)
    ]
    with pytest.raises(JournalFileError) as raised:
        file_lines(JournalFormat.xero, many, tax_rate="Tax Exempt", date_format="MM/DD/YYYY")
    assert str(raised.value) == (
        "302 journal lines: Xero imports at most 300 in one file; export fewer days"
    )
    assert len(file_lines(JournalFormat.xero, many[:150], tax_rate="x", date_format="x")) == 301


def test_zero_decimal_and_three_decimal_currencies_are_written_in_their_own_units() -> None:
    yen = Journal(
        "po_y",
        date(2026, 3, 1),
        "jpy",
        "Stripe payout po_y",
        (Line("090", "Payout to the bank", 500), Line("260", "One-off gifts", -500)),
    )
    dinar = Journal("po_k", date(2026, 3, 1), "kwd", "Stripe payout po_k",
                    (Line("090", "Payout to the bank", 1234), Line("260", "One-off gifts", -1234)))  # fmt: skip
    _, lines = _read(list(quickbooks_lines([yen, dinar], date_format="MM/DD/YYYY")))
    assert [(line["Debits"], line["Credits"]) for line in lines] == [
        ("500", ""), ("", "500"), ("1.234", ""), ("", "1.234"),
    ]  # fmt: skip
