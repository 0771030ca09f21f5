"""Report rows out: CSV (streamed in chunks of rows), JSON, and the cells of a table for people
(the table itself is drawn by donations/cli/tables.py).

CSV carries amounts in major units, as a plain decimal number with the currency's own number
of decimals ("5562.72" eur, "500" jpy, "1.234" kwd), beside the row's `currency` column: what
a spreadsheet sums. JSON carries them in minor units, as the ledger does (an API for programs);
tables show them formatted in their currency (€1,234.50, ¥500).

Every CSV cell that is text and starts with = + - @ tab or a line break is written with a
leading ' (a reader chooses the `source` of a checkout, and a spreadsheet would run
`=HYPERLINK(...)` as a formula on the finance desk: OWASP's "CSV Injection"). Numbers are
never touched: a negative amount stays a number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from operator import itemgetter
from typing import Any

from donations import money


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


CHUNK_ROWS = 1000

# What makes Excel, LibreOffice and Google Sheets read a cell as a formula (or, for tab and
# line breaks, hide one behind): https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")


def inert(values: Iterable[Any]) -> list[Any]:
    """The cells, with text that a spreadsheet would run as a formula prefixed with ' so
    that it is shown as text; numbers, None and other text as they are."""
    # Inline, not a function per cell: an export writes a million rows of six cells.
    return [
        _as_text(value)
        if isinstance(value, str) and (value[:1] in FORMULA_TRIGGERS or "\r" in value)
        else value
        for value in values
    ]


def _as_text(text: str) -> str:
    # The csv module quotes a cell holding "\n" (our line end) but not one holding a lone
    # "\r", which spreadsheets also read as a line end: "x\r=HYPERLINK(...)" would start a
    # row with a formula. As "\n", the line break is quoted inside its cell.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line, formula-leading text made inert; None is written as "" (the csv
    module's own rule)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(inert(values))
    return buffer.getvalue()


def major(amount: Any, currency: str | None) -> Any:
    """An amount in minor units as the number a spreadsheet reads: Decimal("5562.72") for
    556272 eur (a number, so a negative one is never made inert); anything else as it is."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not currency:
        return amount
    return money.to_major(amount, currency)


class _Major:
    """Turns a row's money cells into major units of the row's `currency` cell (money.py
    converts: the one place that does)."""

    def __init__(self, columns: Sequence[str], money_columns: Collection[str]) -> None:
        self.at = [index for index, name in enumerate(columns) if name in money_columns]
        self.currency_at = columns.index("currency") if "currency" in columns else None

    def __call__(self, cells: Sequence[Any]) -> Sequence[Any]:
        if not self.at or self.currency_at is None:
            return cells
        currency = cells[self.currency_at]
        if not currency:
            return cells
        converted = list(cells)
        for index in self.at:
            value = converted[index]
            if isinstance(value, int) and not isinstance(value, bool):
                converted[index] = money.to_major(value, currency)
        return converted


def csv_row(
    columns: Sequence[str], row: Mapping[str, Any], money_columns: Collection[str]
) -> list[Any]:
    """One row's cells in `columns` order, money in major units of its `currency`."""
    return list(_Major(columns, money_columns)([row[name] for name in columns]))


async def csv_lines(
    columns: Sequence[str],
    rows: AsyncIterator[Mapping[str, Any]],
    *,
    money_columns: Collection[str] = (),
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncIterator[str]:
    """The header, then the rows as they arrive, `chunk_rows` lines to a chunk, the
    `money_columns` in major units of the row's `currency` (see `major`), formula-leading
    text made inert (see `inert`).

    One csv.writer over one buffer for the whole export: a writer and a buffer per line cost
    more than the line itself at a million rows. The csv module writes None as "".
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(inert(columns))
    # itemgetter of one name returns the value itself, not a 1-tuple.
    cells = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    in_major = _Major(columns, money_columns)
    chunk: list[Any] = []
    async for row in rows:
        chunk.append(inert(in_major(cells(row))))
        if len(chunk) >= chunk_rows:
            writer.writerows(chunk)
            chunk.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(chunk)
    if buffer.tell():
        yield buffer.getvalue()


def json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def shown(name: str, value: Any, currency: str | None, money_columns: Collection[str]) -> str:
    """A cell for people: money (the report's `money_columns`) formatted in its currency, a
    dash for unknown."""
    if value is None:
        return "—"
    if name in money_columns and currency and isinstance(value, int):
        return money.format_amount(value, currency)
    if isinstance(value, float):
        return f"{value:.1f}%"
    return str(value)


def flatten(value: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """{"one_off": {"count": 1}} -> ("one_off.count", 1): nested JSON as key/value lines."""
    for key, item in value.items():
        if isinstance(item, Mapping):
            yield from flatten(item, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", item
