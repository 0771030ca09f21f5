"""Report time: local dates in REPORT_TIMEZONE turned into UTC instants for SQL.

Every report compares UTC timestamps in the ledger with boundaries computed here, in
Python, with zoneinfo. SQL only ever sees `ts >= start AND ts < end` (or a CASE over a
list of such instants), so the same query buckets identically on SQLite and PostgreSQL,
and a day is 23 or 25 hours long across a DST change, as the newsroom's calendar says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Day buckets over a few years are fine; more would only make an unreadable report.
MAX_BUCKETS = 1000
# The dates a report may be asked about. Nothing in the ledger is older than Unix time (Stripe
# counts in it), and an end far short of Python's last date (9999-12-31) keeps every "day
# after", "next month" and shift into UTC of a typed date away from that edge.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
# The instants before and after every date, for a stored date at Python's own edges.
_BEFORE_EVERYTHING = datetime.min.replace(tzinfo=UTC)
_AFTER_EVERYTHING = datetime.max.replace(tzinfo=UTC)

_BAD_DATE = "{option} must be a date like 2026-01-31, not {text!r}"
_OUT_OF_RANGE = "{option} must be between {first} and {last}, not {day}"
_BAD_ORDER = "{first_option} {start} is after {last_option} {end}"
_BAD_BY = "{option} must be day, week or month, not {text!r}"
_TOO_MANY = "{count} {by} buckets is too many (at most {limit}); choose a coarser --by"
_BAD_ZONE = "REPORT_TIMEZONE {name!r} is not a known time zone"


class ReportInputError(ValueError):
    """Bad report input; the message is one line for the person who typed it."""


class Grain(StrEnum):
    day = "day"
    week = "week"  # ISO weeks, Monday to Sunday
    month = "month"


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC, from inclusive local dates."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Bucket:
    label: str
    start: datetime
    end: datetime


def report_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportInputError(_BAD_ZONE.format(name=name)) from None


def local_today(now: datetime, zone: ZoneInfo) -> date:
    """The date in `zone` at the instant `now`: what "today" means to every report."""
    return now.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins in `zone`."""
    try:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    except OverflowError:
        # Year 1 east of UTC, or year 9999 west of it: before or after anything we hold.
        return _BEFORE_EVERYTHING if day.year == date.min.year else _AFTER_EVERYTHING


def window(first_day: date, last_day: date, zone: ZoneInfo) -> Window:
    """Inclusive local dates -> [first_day 00:00, last_day+1 00:00) in UTC."""
    # A campaign may end on Python's last date (9999-12-31), which has no day after.
    end = (
        _AFTER_EVERYTHING
        if last_day == date.max
        else local_midnight(last_day + timedelta(days=1), zone)
    )
    return Window(first_day, last_day, local_midnight(first_day, zone), end)


def parse_day(text: str, *, option: str) -> date:
    """A typed date, refused unless it lies between FIRST_DAY and LAST_DAY."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ReportInputError(_BAD_DATE.format(option=option, text=text)) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ReportInputError(
            _OUT_OF_RANGE.format(option=option, first=FIRST_DAY, last=LAST_DAY, day=day)
        )
    return day


def parse_grain(text: str, *, option: str = "--by") -> Grain:
    try:
        return Grain(text)
    except ValueError:
        raise ReportInputError(_BAD_BY.format(option=option, text=text)) from None


def checked_grain(
    text: str, first_day: date, last_day: date, zone: ZoneInfo, *, option: str = "--by"
) -> Grain:
    """The grain, refused up front when it would cut the range into too many buckets: that
    is bad input, to be said before a query starts (or a download is half sent)."""
    grain = parse_grain(text, option=option)
    buckets(first_day, last_day, grain, zone)
    return grain


def parse_range(
    start: str | None,
    end: str | None,
    *,
    today: date,
    default_days: int = 30,
    options: tuple[str, str] = ("--from", "--to"),
) -> tuple[date, date]:
    """--from/--to as inclusive dates; missing ones default to the last `default_days` days.

    `options` names the two inputs in messages: the CLI's options, or a page's parameters.
    """
    first_option, last_option = options
    last = parse_day(end, option=last_option) if end else today
    first = (
        parse_day(start, option=first_option) if start else last - timedelta(days=default_days - 1)
    )
    if first > last:
        raise ReportInputError(
            _BAD_ORDER.format(
                first_option=first_option, start=first, last_option=last_option, end=last
            )
        )
    return first, last


def _period_start(day: date, grain: Grain) -> date:
    if grain is Grain.week:
        return day - timedelta(days=day.weekday())
    if grain is Grain.month:
        return day.replace(day=1)
    return day


def _next_period(day: date, grain: Grain) -> date:
    if grain is Grain.day:
        return day + timedelta(days=1)
    if grain is Grain.week:
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _label(day: date, grain: Grain) -> str:
    return day.strftime("%Y-%m") if grain is Grain.month else day.isoformat()


def buckets(first_day: date, last_day: date, grain: Grain, zone: ZoneInfo) -> list[Bucket]:
    """Consecutive local days/weeks/months covering the inclusive range, as UTC instants.

    A bucket is labelled by its calendar period (the Monday of an ISO week, "2026-03" for a
    month) and clipped to the range, so the buckets exactly tile the range's window.
    """
    result: list[Bucket] = []
    period = _period_start(first_day, grain)
    stop = last_day + timedelta(days=1)
    while period < stop:
        following = _next_period(period, grain)
        start = max(period, first_day)
        end = min(following, stop)
        result.append(
            Bucket(_label(period, grain), local_midnight(start, zone), local_midnight(end, zone))
        )
        if len(result) > MAX_BUCKETS:
            raise ReportInputError(
                _TOO_MANY.format(count=f"more than {MAX_BUCKETS}", by=grain, limit=MAX_BUCKETS)
            )
        period = following
    return result


def iso_utc(moment: datetime) -> str:
    """2026-11-28T07:00:00Z: the form every report prints its times in."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
