"""Finance reports on the loaded ledger: ours against the same figures in hand-written SQL.

Two pairs per report, each the median of N runs:
- in process: the report function (donations/reports) on a reports engine, against the
  hand-written statements through the same engine and driver;
- as commands: `donations report ...` as a child process, against the statements run by
  the database's own client (`sqlite3`, `psql`), timed the same way, start-up included;
  and against the same statements run by the least Python command on our stack
  (bench/sql_command.py), to tell what our code adds from what Python and SQLAlchemy cost.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from bench.csv_export import payments_sql
from bench.figures import Figure, Goal, Target
from bench.ledger_db import libpq_url, sqlite_path
from bench.report_sql import (
    POSTGRESQL,
    SQLITE,
    DayRange,
    as_script,
    period_by_month_sql,
    progress_sql,
)
from bench.servers import child_environment
from bench.sizes import Size
from bench.timing import Command, Timing, time_awaitable, time_command, time_commands
from donations.campaigns import find_campaign
from donations.db import Database, is_sqlite
from donations.models import utcnow
from donations.reports.period import period_report
from donations.reports.progress import campaign_progress
from donations.reports.windows import parse_grain

CAMPAIGN = "2026"
CAMPAIGN_WINDOW = DayRange(date(2026, 1, 1), date(2027, 1, 1))
PERIOD_FIRST, PERIOD_LAST = date(2023, 12, 1), date(2026, 11, 30)
PERIOD_WINDOW = DayRange(PERIOD_FIRST, date(2026, 12, 1))
TIMEZONE = "UTC"
WITHIN_SQL = Target(Goal.ratio_at_most, 1.5)
# Against the least Python command on our stack running the same SQL (bench/sql_command.py).
WITHIN_PYTHON = Target(Goal.ratio_at_most, 1.2)
UNDER_TWO_SECONDS = Target(Goal.ours_under, 2.0, " s")
CSV_MEMORY = Target(Goal.ours_under, 200.0, " MB")


def dialect_of(url: str) -> str:
    return SQLITE if is_sqlite(url) else POSTGRESQL


def baseline_sql(url: str) -> dict[str, list[str]]:
    """Each report's hand-written statements, by the name its figures carry."""
    dialect = dialect_of(url)
    return {
        "progress": progress_sql(dialect, slug=CAMPAIGN, window=CAMPAIGN_WINDOW, currency="eur"),
        "period --by month": period_by_month_sql(dialect, window=PERIOD_WINDOW),
    }


def donations_command(*args: str) -> list[str]:
    """The installed `donations` script beside this interpreter, as a user would run it."""
    script = Path(sys.executable).parent / "donations"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "donations", *args]


def database_client(url: str, *, csv: bool = False) -> list[str]:
    if is_sqlite(url):
        client = shutil.which("sqlite3")
        if client is None:
            raise RuntimeError("no sqlite3 client: apt-get install sqlite3")
        return [client, "-bail", "-csv" if csv else "-list", "-header", str(sqlite_path(url))]
    client = shutil.which("psql")
    if client is None:
        raise RuntimeError("no psql client: apt-get install postgresql-client")
    command = [client, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq_url(url)]
    return [*command, "--csv"] if csv else [*command, "-A"]


async def _progress(db: Database) -> None:
    async with db.session() as session:
        campaign = await find_campaign(session=session, slug=CAMPAIGN, today=utcnow().date())
        assert campaign is not None
        await campaign_progress(session=session, campaign=campaign, timezone=TIMEZONE, now=utcnow())


async def _period(db: Database) -> None:
    async with db.session() as session:
        await period_report(
            session=session,
            first_day=PERIOD_FIRST,
            last_day=PERIOD_LAST,
            grain=parse_grain("month"),
            timezone=TIMEZONE,
        )


def _statements(db: Database, statements: list[str]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        async with db.engine.connect() as connection:
            for statement in statements:
                (await connection.exec_driver_sql(statement)).fetchall()

    return run


async def _in_process(
    url: str, size: Size, baselines: dict[str, list[str]]
) -> dict[str, tuple[Timing, Timing]]:
    db = Database(url, writes=False)
    ours: dict[str, Callable[[], Awaitable[None]]] = {
        "progress": lambda: _progress(db),
        "period --by month": lambda: _period(db),
    }
    try:
        return {
            name: (
                await time_awaitable(work, repeats=size.repeats),
                await time_awaitable(_statements(db, baselines[name]), repeats=size.repeats),
            )
            for name, work in ours.items()
        }
    finally:
        await db.dispose()


def measure_reports(url: str, size: Size, *, database: str, scratch: Path) -> list[Figure]:
    section = f"reports ({database})"
    baselines = baseline_sql(url)
    environment = child_environment(DATABASE_URL=url, REPORT_TIMEZONE=TIMEZONE)
    figures: list[Figure] = []
    for name, (ours, sql) in asyncio.run(_in_process(url, size, baselines)).items():
        figures.append(
            Figure(
                section, f"{name}, function", "s", ours.median_seconds, sql.median_seconds,
                "same SQL by hand, same engine", [WITHIN_SQL, UNDER_TWO_SECONDS],
                {"ours": ours.as_json(), "sql": sql.as_json()},
            )
        )  # fmt: skip

    client = database_client(url)
    commands = {
        "progress": donations_command(
            "report", "progress", "--campaign", CAMPAIGN, "--format", "json"
        ),
        "period --by month": donations_command(
            "report", "period", "--from", PERIOD_FIRST.isoformat(), "--to",
            PERIOD_LAST.isoformat(), "--by", "month", "--format", "csv",
        ),
    }  # fmt: skip
    for name, command in commands.items():
        script = scratch / f"{name.split()[0]}.sql"
        script.write_text(as_script(baselines[name]))
        baseline = [sys.executable, "-m", "bench.sql_command", "--database-url", url]
        timings = time_commands(
            {
                "ours": Command(command),
                "sql": Command(client, stdin=script),
                "python": Command(baseline, stdin=script),
                "stack": Command([*baseline, "--with-stack"], stdin=script),
            },
            repeats=size.repeats, env=environment,
        )  # fmt: skip
        ours, sql, python, stack = (timings[name] for name in ("ours", "sql", "python", "stack"))
        detail = {name: timing.as_json() for name, timing in timings.items()}
        figures += [
            Figure(
                section, f"{name}, CLI", "s", ours.median_seconds, sql.median_seconds,
                f"{Path(client[0]).name} with the same SQL", [WITHIN_SQL, UNDER_TWO_SECONDS],
                detail,
            ),
            Figure(
                section, f"{name}, CLI over Python", "s", ours.median_seconds,
                python.median_seconds, "python + SQLAlchemy, same SQL", [WITHIN_PYTHON], detail,
            ),
            Figure(
                section, f"{name}, CLI over the required stack", "s", ours.median_seconds,
                stack.median_seconds, "python + SQLAlchemy + SQLModel, pydantic-settings, Typer",
                [], detail,
            ),
        ]  # fmt: skip
    figures += _csv_export(url, size, section=section, environment=environment, scratch=scratch)
    figures.append(_start_up(size, section=section, environment=environment))
    return figures


def _csv_export(
    url: str, size: Size, *, section: str, environment: dict[str, str], scratch: Path
) -> list[Figure]:
    """Every payment as CSV: peak memory and time, ours against the database's client.

    Run once each: at 1M rows one run is long enough to time, and peak memory is the target.
    """
    rows = size.ledger.payments
    ours_file, sql_file = scratch / "payments.csv", scratch / "payments-sql.csv"
    script = scratch / "payments.sql"
    script.write_text(payments_sql(dialect_of(url), rows))
    command = [
        sys.executable, "-m", "bench.csv_export", "--database-url", url,
        "--output", str(ours_file), "--rows", str(rows),
    ]  # fmt: skip
    ours = time_command(command, repeats=1, env=environment)
    client = database_client(url, csv=True)
    sql = time_command(client, repeats=1, env=environment, stdin=script, output=sql_file)
    lines = {"ours": _count_lines(ours_file), "sql": _count_lines(sql_file)}
    # ~50 MB each at 1M rows: counted, then not kept.
    ours_file.unlink()
    sql_file.unlink()
    if lines["ours"] != rows + 1 or lines["sql"] != rows + 1:
        raise RuntimeError(f"CSV export: {lines} lines, expected {rows + 1} each")
    assert ours.max_rss_mb is not None and sql.max_rss_mb is not None
    detail = {"ours": ours.as_json(), "sql": sql.as_json(), "rows": rows}
    baseline = f"{Path(client[0]).name} --csv, same SELECT"
    return [
        Figure(
            section, f"CSV export of {rows:,} payments, peak RSS", "MB", ours.max_rss_mb,
            sql.max_rss_mb, baseline, [CSV_MEMORY], detail,
        ),
        Figure(
            section, f"CSV export of {rows:,} payments, time", "s", ours.median_seconds,
            sql.median_seconds, baseline,
        ),
    ]  # fmt: skip


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _start_up(size: Size, *, section: str, environment: dict[str, str]) -> Figure:
    """What every CLI command pays before it touches the database: imports and set-up."""
    commands = {
        "ours": Command(donations_command("--help")),
        "bare": Command([sys.executable, "-c", "pass"]),
    }
    timings = time_commands(commands, repeats=size.repeats, env=environment)
    detail = {name: timing.as_json() for name, timing in timings.items()}
    return Figure(
        section, "CLI start-up (donations --help)", "s", timings["ours"].median_seconds,
        timings["bare"].median_seconds, "python -c pass", [], detail,
    )  # fmt: skip
