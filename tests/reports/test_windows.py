from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import pytest

from donations.reports.windows import (
    Grain,
    ReportInputError,
    buckets,
    parse_grain,
    parse_range,
    report_zone,
    window,
)

DUBLIN = report_zone("Europe/Dublin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_campaign_window_is_local_midnight_to_the_midnight_after_the_last_day() -> None:
    # Dublin is UTC+0 in January (GMT) and UTC+1 in July (IST).
    winter = window(date(2026, 1, 1), date(2026, 1, 31), DUBLIN)
    assert (winter.start, winter.end) == (utc("2026-01-01T00:00"), utc("2026-02-01T00:00"))
    summer = window(date(2026, 7, 1), date(2026, 7, 31), DUBLIN)
    assert (summer.start, summer.end) == (utc("2026-06-30T23:00"), utc("2026-07-31T23:00"))


def test_day_buckets_follow_the_spring_dst_change_in_dublin() -> None:
    # Clocks go forward at 01:00 UTC on 2026-03-29: that day is 23 hours long, and the next
    # day starts at 23:00 UTC, so a payment at 2026-03-29T23:30Z is on 2026-03-30 in Dublin.
    days = buckets(date(2026, 3, 28), date(2026, 3, 30), Grain.day, DUBLIN)
    assert [(b.label, b.start, b.end) for b in days] == [
        ("2026-03-28", utc("2026-03-28T00:00"), utc("2026-03-29T00:00")),
        ("2026-03-29", utc("2026-03-29T00:00"), utc("2026-03-29T23:00")),
        ("2026-03-30", utc("2026-03-29T23:00"), utc("2026-03-30T23:00")),
    ]
    assert days[2].start <= utc("2026-03-29T23:30") < days[2].end


def test_day_buckets_follow_the_autumn_dst_change_in_dublin() -> None:
    # Clocks go back at 01:00 UTC on 2026-10-25: that day is 25 hours long.
    days = buckets(date(2026, 10, 24), date(2026, 10, 25), Grain.day, DUBLIN)
    assert [(b.label, b.start, b.end) for b in days] == [
        ("2026-10-24", utc("2026-10-23T23:00"), utc("2026-10-24T23:00")),
        ("2026-10-25", utc("2026-10-24T23:00"), utc("2026-10-26T00:00")),
    ]


def test_week_buckets_are_iso_weeks_clipped_to_the_range() -> None:
    # 2026-03-25 is a Wednesday; its ISO week starts Monday 2026-03-23.
    weeks = buckets(date(2026, 3, 25), date(2026, 4, 1), Grain.week, DUBLIN)
    assert [(b.label, b.start, b.end) for b in weeks] == [
        ("2026-03-23", utc("2026-03-25T00:00"), utc("2026-03-29T23:00")),
        ("2026-03-30", utc("2026-03-29T23:00"), utc("2026-04-01T23:00")),
    ]


def test_month_buckets_tile_the_year_without_gaps() -> None:
    months = buckets(date(2026, 1, 1), date(2026, 12, 31), Grain.month, DUBLIN)
    assert [b.label for b in months] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert months[2].end == utc("2026-03-31T23:00")  # April starts in summer time
    assert months[9].end == utc("2026-11-01T00:00")  # November starts in winter time
    assert all(a.end == b.start for a, b in pairwise(months))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-05-01", "2026-03-01", "--from 2026-05-01 is after --to 2026-03-01"),
        ("2026-02-30", None, "--from must be a date like 2026-01-31, not '2026-02-30'"),
        (None, "yesterday", "--to must be a date like 2026-01-31, not 'yesterday'"),
    ],
)
def test_bad_ranges_say_what_is_wrong(start: str | None, end: str | None, message: str) -> None:
    with pytest.raises(ReportInputError) as raised:
        parse_range(start, end, today=date(2026, 11, 28))
    assert str(raised.value) == message


def test_missing_range_is_the_last_30_days() -> None:
    assert parse_range(None, None, today=date(2026, 11, 28)) == (
        date(2026, 10, 30),
        date(2026, 11, 28),
    )


def test_unknown_grain_and_too_many_buckets_are_refused() -> None:
    with pytest.raises(ReportInputError, match="--by must be day, week or month, not 'year'"):
        parse_grain("year")
    with pytest.raises(ReportInputError, match="too many"):
        buckets(date(2020, 1, 1), date(2026, 1, 1), Grain.day, DUBLIN)
