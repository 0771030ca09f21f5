"""Report tables for people at a terminal, drawn with rich.

Only the text format needs rich, and importing it costs a command ~40 ms: donations/cli/report.py
imports this module when it prints a table, so `--format json` and `--format csv` never load it.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import IO, Any

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from donations.reports.export import shown

# A file (--output) is read in an editor, not a terminal: as wide as the table needs, up to this.
FILE_WIDTH = 200


def print_rows(
    out: IO[str],
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    money_columns: Collection[str],
    title: str | None = None,
) -> None:
    print_table(rows_table(columns, rows, money_columns=money_columns, title=title), out)


def print_figures(out: IO[str], pairs: Iterable[tuple[str, str]], *, title: str) -> None:
    """A two-column table of figures, each already shown as text."""
    table = Table("figure", "value", title=title)
    for label, value in pairs:
        table.add_row(label, value)
    print_table(table, out)


def print_table(table: Table, out: IO[str]) -> None:
    """The table as wide as the terminal (COLUMNS, else the terminal's size, else 80), with
    every header whole; a table whose headers cannot all fit is printed a record at a time."""
    console = Console(file=out, width=None if out is sys.stdout else FILE_WIDTH)
    console.print(fitted(table, console))


def rows_table(
    columns: Sequence[str],
    rows: Iterable[Mapping[str, Any]],
    *,
    money_columns: Collection[str],
    title: str | None = None,
) -> Table:
    table = Table(*columns, title=title)
    for row in rows:
        currency = row.get("currency")
        table.add_row(*(shown(name, row[name], currency, money_columns) for name in columns))
    return table


def fitted(table: Table, console: Console) -> RenderableType:
    """The table, if it fits the console's width with each header whole (never "Cur…");
    else the same rows one record at a time, each value beside its column's name, which fits
    any terminal (80 columns included)."""
    headers = [str(column.header) for column in table.columns]
    for column in table.columns:
        column.min_width = len(str(column.header))
        column.overflow = "fold"
    # Each column: its header, a space either side and a rule; and the table's last rule.
    needed = sum(len(header) + 3 for header in headers) + 1
    if needed <= console.width:
        return table
    if not table.row_count:
        return Text(f"{table.title or 'The table'}: no rows.")
    records = Table("column", "value", title=table.title, show_lines=False)
    cells = [list(column.cells) for column in table.columns]
    for index in range(table.row_count):
        for number, header in enumerate(headers):
            records.add_row(header, cells[number][index], end_section=number == len(headers) - 1)
    for column in records.columns:
        column.overflow = "fold"
    return records
