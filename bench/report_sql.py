"""The baselines for the reports: the same figures as hand-written SQL, per database.

What a finance engineer would type into sqlite3 or psql to get each report, computing the
same figures from the same rows (docs/accounting.md's rules: succeeded refunds; disputes not won;
progress attributes refunds and disputes to the payment, the period report to the month
they happened in). Times are UTC, as REPORT_TIMEZONE is by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class DayRange:
    """[start, end) as the ledger stores times: text on SQLite, timestamptz on PostgreSQL."""

    first_day: date
    after_last_day: date

    def bound(self, dialect: str, day: date) -> str:
        if dialect == SQLITE:
            return f"'{day.isoformat()} 00:00:00.000000'"
        return f"'{day.isoformat()} 00:00:00+00'"

    def where(self, dialect: str, column: str) -> str:
        return (
            f"{column} >= {self.bound(dialect, self.first_day)} "
            f"AND {column} < {self.bound(dialect, self.after_last_day)}"
        )


def _month(dialect: str, column: str) -> str:
    if dialect == SQLITE:
        return f"substr({column}, 1, 7)"
    return f"date_trunc('month', {column} AT TIME ZONE 'UTC')"


def progress_sql(dialect: str, *, slug: str, window: DayRange, currency: str) -> list[str]:
    return [
        f"SELECT id, slug, name, currency, target, starts_on, ends_on FROM campaign WHERE slug = '{slug}'",
        f"""SELECT p.currency, count(*) AS payments, coalesce(sum(p.amount), 0) AS gross,
       coalesce(sum(r.amount), 0) AS refunded, coalesce(sum(d.amount), 0) AS disputed,
       sum(p.fee) AS fees, count(p.fee) AS fees_known,
       count(DISTINCT p.supporter_id) AS supporters,
       sum(CASE WHEN p.kind = 'one_off' THEN 1 ELSE 0 END) AS one_off_count,
       sum(CASE WHEN p.kind = 'one_off' THEN p.amount ELSE 0 END) AS one_off_amount,
       sum(CASE WHEN p.kind = 'recurring' THEN 1 ELSE 0 END) AS recurring_count,
       sum(CASE WHEN p.kind = 'recurring' THEN p.amount ELSE 0 END) AS recurring_amount
FROM payment p
LEFT JOIN (SELECT payment_id, sum(amount) AS amount FROM refund
           WHERE status = 'succeeded' AND payment_id IS NOT NULL GROUP BY payment_id) r
       ON r.payment_id = p.id
LEFT JOIN (SELECT payment_id, sum(amount) AS amount FROM dispute
           WHERE status <> 'won' AND payment_id IS NOT NULL GROUP BY payment_id) d
       ON d.payment_id = p.id
WHERE {window.where(dialect, "p.paid_at")}
GROUP BY p.currency ORDER BY p.currency""",
        f"""SELECT sum(CASE WHEN status IN ('active', 'trialing') THEN 1 ELSE 0 END) AS active,
       sum(CASE WHEN status = 'past_due' THEN 1 ELSE 0 END) AS past_due,
       sum(CASE WHEN status IN ('active', 'trialing') AND currency = '{currency}'
                 AND interval = 'month' THEN amount ELSE 0 END) AS monthly,
       sum(CASE WHEN status IN ('active', 'trialing') AND currency = '{currency}'
                 AND interval = 'year' THEN amount ELSE 0 END) AS annual
FROM membership WHERE status IN ('active', 'trialing', 'past_due')""",
    ]


def period_by_month_sql(dialect: str, *, window: DayRange) -> list[str]:
    return [
        f"""SELECT month, currency, sum(gross) AS gross, sum(refunded) AS refunded,
       sum(disputed) AS disputed, sum(gross) - sum(refunded) - sum(disputed) AS net,
       sum(fee) AS fees, sum(fee_unknown) AS fees_unknown, sum(payments) AS payments,
       sum(one_off_count) AS one_off_count, sum(one_off_amount) AS one_off_amount,
       sum(refunds) AS refunds, sum(disputes) AS disputes
FROM (
  SELECT {_month(dialect, "paid_at")} AS month, currency, amount AS gross, 0 AS refunded,
         0 AS disputed, fee, CASE WHEN fee IS NULL THEN 1 ELSE 0 END AS fee_unknown,
         1 AS payments, CASE WHEN kind = 'one_off' THEN 1 ELSE 0 END AS one_off_count,
         CASE WHEN kind = 'one_off' THEN amount ELSE 0 END AS one_off_amount,
         0 AS refunds, 0 AS disputes
  FROM payment WHERE {window.where(dialect, "paid_at")}
  UNION ALL
  SELECT {_month(dialect, "refunded_at")}, currency, 0, amount, 0, NULL, 0, 0, 0, 0, 1, 0
  FROM refund WHERE status = 'succeeded' AND {window.where(dialect, "refunded_at")}
  UNION ALL
  SELECT {_month(dialect, "disputed_at")}, currency, 0, 0, amount, NULL, 0, 0, 0, 0, 0, 1
  FROM dispute WHERE status <> 'won' AND {window.where(dialect, "disputed_at")}
) movement
GROUP BY month, currency ORDER BY month, currency"""
    ]


def as_script(statements: list[str]) -> str:
    return "".join(statement.strip() + ";\n" for statement in statements)
