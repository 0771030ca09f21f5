"""One newsroom's year, as Stripe tells it, for the report tests.

REPORT_TIMEZONE is Europe/Dublin (UTC+0 in winter, UTC+1 from 2026-03-29 01:00Z to
2026-10-25 01:00Z). The campaign "2026" runs 2026-03-30 to 2026-10-25 (inclusive, Dublin),
i.e. [2026-03-29T23:00Z, 2026-10-26T00:00Z), target €1,000.00.

    gift A  €25.00  2026-03-29T22:59:59Z  ana   newsletter      (Dublin 03-29: before)
    gift B  €50.00  2026-03-29T23:30:00Z  ana   article-footer  (Dublin 03-30: in);
            refunded €10.00 on 2026-11-02 (after the window: still counts against B)
    gift C  €20.00  2026-06-15T12:00:00Z  Ben   -               disputed 06-20, still open
    gift D  €30.00  2026-07-01T10:00:00Z  cara  -               disputed 07-05, won
    gift E  £15.00  2026-05-05T10:00:00Z  ivy   newsletter      refund £5.00 pending
    gift F  ¥1000   2026-05-06T10:00:00Z  jo    -
    gift G  €40.00  2026-10-26T00:00:00Z  kim   article-footer  (Dublin 10-26 00:00: after)
    gift H  €12.00  2026-10-25T23:59:59Z  ANA   -               (Dublin 10-25: in)
    M1 monthly €5.00  dan  homepage  signed up 04-01T09:00Z, renewed 05-01T09:00Z: active
    M2 annual €60.00  eve            signed up 04-10T09:00Z: active
    M3 monthly €7.00  fay            signed up 04-15T09:00Z, renewal failed 05-15: past_due
    M4 monthly €3.00  gus            signed up 04-20T09:00Z, cancelled 06-01T09:00Z
    a monthly €10.00 checkout that expired 2026-06-02T12:00Z (created a day before)
    a €20.00 SEPA gift whose debit failed (session created 2026-06-03T11:58Z)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe_events as se


def at(text: str) -> int:
    """Unix time of an ISO UTC instant, as Stripe's `created`."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def newsroom_year() -> list[dict[str, Any]]:
    gift = se.one_off_gift
    a = gift(2500, "eur", at("2026-03-29T22:59:59"), "ana@example.org", source="newsletter")
    b = gift(5000, "eur", at("2026-03-29T23:30:00"), "ana@example.org", source="article-footer")
    c = gift(2000, "eur", at("2026-06-15T12:00:00"), "Ben@Example.org")
    d = gift(3000, "eur", at("2026-07-01T10:00:00"), "cara@example.org")
    e = gift(1500, "gbp", at("2026-05-05T10:00:00"), "ivy@example.org", source="newsletter")
    f = gift(1000, "jpy", at("2026-05-06T10:00:00"), "jo@example.org")
    g = gift(4000, "eur", at("2026-10-26T00:00:00"), "kim@example.org", source="article-footer")
    h = gift(1200, "eur", at("2026-10-25T23:59:59"), "ANA@example.org")
    m1 = se.membership_signup(
        500, "eur", "month", at("2026-04-01T09:00:00"), "dan@example.org", source="homepage"
    )
    m2 = se.membership_signup(6000, "eur", "year", at("2026-04-10T09:00:00"), "eve@example.org")
    m3 = se.membership_signup(700, "eur", "month", at("2026-04-15T09:00:00"), "fay@example.org")
    m4 = se.membership_signup(300, "eur", "month", at("2026-04-20T09:00:00"), "gus@example.org")
    happenings: list[se.Happening] = [a, b, c, d, e, f, g, h, m1, m2, m3, m4]
    happenings += [
        se.membership_renewal(m1, at("2026-05-01T09:00:00")),
        se.failed_renewal(m3, at("2026-05-15T09:00:00")),
        se.cancellation(m4, at("2026-06-01T09:00:00")),
        se.refund(b, 1000, at("2026-11-02T10:00:00")),
        se.refund(e, 500, at("2026-05-10T10:00:00"), status="pending"),
        se.dispute(c, at("2026-06-20T10:00:00")),
        se.dispute(d, at("2026-07-05T10:00:00"), outcome="won"),
        se.expired_checkout(1000, "eur", at("2026-06-02T12:00:00"), frequency="monthly"),
        se.failed_delayed_gift(2000, "eur", at("2026-06-03T12:00:00"), "hal@example.org"),
    ]
    events = [event for happening in happenings for event in happening.events]
    return sorted(events, key=lambda event: int(event["created"]))
