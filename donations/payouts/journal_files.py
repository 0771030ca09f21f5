"""Journals as files an accounting package imports.

    xero        Xero's manual journal import template (https://help.xero.com/nz/ManualJournalsImport):
                "*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount" and the
                two tracking pairs; "Use the same narration and date for each group of rows you
                want to import as lines in the same journal"; the date "dd/mm/yyyy"; the amount
                "treated as debit if the amount is positive, or credit, if negative"; "up to 300
                lines in one template file". Manual journals are in the organisation's base
                currency.
    quickbooks  QuickBooks Online's journal entry import (https://quickbooks.intuit.com/learn-support/en-au/help-article/import-export-files/import-journal-entries-quickbooks-online/L4tQBwbs7_AU_en_AU):
                "Journal No.", "Journal Date", "Account Name", "Description", "Debits",
                "Credits"; lines of one entry share its number, and it must balance. A journal
                number is at most 21 characters (the API's JournalEntry.DocNumber,
                https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/journalentry),
                so a payout's is the last 21 of its id, which the Description carries whole.
    csv         ours: every currency, amounts in major units beside the currency, as every
                export here.

Amounts in Xero and QuickBooks files are in major units ("28.97", "500" for yen), as people
type them; every text cell that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum

from donations import money
from donations.payouts.journal import Journal
from donations.reports.export import csv_line


class JournalFormat(StrEnum):
    xero = "xero"
    quickbooks = "quickbooks"
    csv = "csv"


XERO_COLUMNS = (
    "*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
    "TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
)  # fmt: skip
XERO_MAX_LINES = 300
QUICKBOOKS_COLUMNS = (
    "Journal No.", "Journal Date", "Account Name", "Description", "Debits", "Credits",
)  # fmt: skip
QUICKBOOKS_NUMBER_LENGTH = 21
CSV_COLUMNS = ("journal", "date", "currency", "account", "description", "debit", "credit")
# strftime patterns of the date formats QUICKBOOKS_DATE_FORMAT names.
QUICKBOOKS_DATES = {"MM/DD/YYYY": "%m/%d/%Y", "DD/MM/YYYY": "%d/%m/%Y"}

TOO_MANY_LINES = (
    "{lines} journal lines: Xero imports at most {limit} in one file; export fewer days"
)


class JournalFileError(ValueError):
    """The journals cannot be written in the format asked for; the message says why."""


def xero_lines(journals: Iterable[Journal], *, tax_rate: str) -> Iterator[str]:
    rows = [
        (journal.narration, journal.date.strftime("%d/%m/%Y"), line.description, line.account,
         tax_rate, _major(line.amount, journal.currency), "", "", "", "")
        for journal in journals
        for line in journal.lines
    ]  # fmt: skip
    if len(rows) > XERO_MAX_LINES:
        raise JournalFileError(TOO_MANY_LINES.format(lines=len(rows), limit=XERO_MAX_LINES))
    yield csv_line(XERO_COLUMNS)
    for row in rows:
        yield csv_line(row)


def quickbooks_lines(journals: Iterable[Journal], *, date_format: str) -> Iterator[str]:
    pattern = QUICKBOOKS_DATES[date_format]
    yield csv_line(QUICKBOOKS_COLUMNS)
    for journal in journals:
        number = journal.payout[-QUICKBOOKS_NUMBER_LENGTH:]
        for line in journal.lines:
            debit, credit = _sides(line.amount)
            yield csv_line(
                (
                    number,
                    journal.date.strftime(pattern),
                    line.account,
                    f"{line.description} ({journal.payout})",
                    "" if debit is None else _major(debit, journal.currency),
                    "" if credit is None else _major(credit, journal.currency),
                )
            )


def csv_lines(journals: Iterable[Journal]) -> Iterator[str]:
    yield csv_line(CSV_COLUMNS)
    for journal in journals:
        for line in journal.lines:
            debit, credit = _sides(line.amount)
            yield csv_line(
                (journal.payout, journal.date.isoformat(), journal.currency, line.account,
                 line.description,
                 None if debit is None else _major(debit, journal.currency),
                 None if credit is None else _major(credit, journal.currency))
            )  # fmt: skip


def _sides(amount: int) -> tuple[int | None, int | None]:
    """(debit, credit), each positive or None."""
    return (amount, None) if amount > 0 else (None, -amount)


def _major(amount: int, currency: str) -> Decimal:
    # A number, not text: the CSV writer leaves numbers as they are, where "-12.50" as text
    # would be made inert against spreadsheet formulas (and no longer read as an amount).
    return money.to_major(amount, currency)


def file_lines(
    fmt: JournalFormat, journals: list[Journal], *, tax_rate: str, date_format: str
) -> list[str]:
    """The whole file, made before any of it is written: a file Xero would refuse is never
    half written."""
    if fmt is JournalFormat.xero:
        return list(xero_lines(journals, tax_rate=tax_rate))
    if fmt is JournalFormat.quickbooks:
        return list(quickbooks_lines(journals, date_format=date_format))
    return list(csv_lines(journals))
