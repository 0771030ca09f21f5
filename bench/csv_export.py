"""A CSV export of every payment, through the product's streaming path, as its own process.

    python -m bench.csv_export --database-url URL --output FILE --rows N

The reports expose no per-payment CLI export yet; the one per-payment CSV the product has is
the dashboard's payments export (GET /admin/export/payments.csv), which streams the payments
of a range (`recent.stream_payments`, the same SELECT as `recent.stream_recent` with a range
instead of a limit) through `export.csv_lines`, amounts in major units. This runs that pair
with the limit raised to the whole ledger, so its time and peak memory are the product's
streaming CSV at 1M rows. The baseline is the same SELECT (masked email, ISO times, the
anonymous marker) written by the database's own client.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from donations.db import Database
from donations.reports import recent
from donations.reports.export import csv_lines


def payments_sql(dialect: str, rows: int) -> str:
    if dialect == "sqlite":
        paid_at = "strftime('%Y-%m-%dT%H:%M:%SZ', p.paid_at)"
        email = "substr(s.email, 1, 1) || '***@' || substr(s.email, instr(s.email, '@') + 1)"
    else:
        paid_at = "to_char(p.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        email = "left(s.email, 1) || '***@' || split_part(s.email, '@', 2)"
    return (
        f"SELECT {paid_at} AS paid_at, p.kind, p.amount, p.currency, "
        f"p.source, {email} AS email, "
        "CASE WHEN p.anonymous THEN 'yes' ELSE '' END AS anonymous "
        "FROM payment p LEFT JOIN supporter s ON s.id = p.supporter_id "
        f"ORDER BY p.paid_at DESC, p.id DESC LIMIT {rows};\n"
    )


async def export(database_url: str, output: Path, rows: int) -> None:
    db = Database(database_url, writes=False)
    try:
        async with db.session() as session:
            payments = recent.stream_recent(session=session, limit=rows)
            lines = csv_lines(
                recent.COLUMNS,
                (payment.as_json() async for payment in payments),
                money_columns=recent.MONEY_COLUMNS,
            )
            with output.open("w", encoding="utf-8", newline="") as out:
                async for line in lines:
                    out.write(line)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.csv_export")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--rows", type=int, required=True)
    args = parser.parse_args(argv)
    asyncio.run(export(args.database_url, args.output, args.rows))


if __name__ == "__main__":
    main()
