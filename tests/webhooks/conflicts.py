"""A ledger row that makes an event fail: how most tests provoke a handler error."""

from __future__ import annotations

from datetime import UTC, datetime

from donations.db import Database, is_sqlite
from donations.models import Payment

IMPORTED_AT = datetime(2026, 1, 5, tzinfo=UTC)
IMPORTED_PAYMENT_INTENT = "pi_imported"


async def import_payment_claiming(db: Database, charge: str) -> None:
    """A €1.00 payment imported by hand that already claims `charge`: a gift paid with that
    charge cannot be booked (LedgerConflict), so its event fails until this row goes."""
    async with db.writing_session() as session:
        session.add(
            Payment(
                kind="one_off",
                amount=100,
                currency="eur",
                paid_at=IMPORTED_AT,
                stripe_payment_intent_id=IMPORTED_PAYMENT_INTENT,
                stripe_charge_id=charge,
            )
        )


async def refuse_payments_of(db: Database, amount: int) -> None:
    """A CHECK-like refusal of payments of `amount` (a trigger raising the database's own check
    violation): handlers check every field Stripe sends before writing, so no value an event
    can carry breaks a CHECK constraint any more, yet a bug in the rules still might."""
    async with db.writing() as connection:
        if is_sqlite(db.url):
            await connection.exec_driver_sql(
                "CREATE TRIGGER refuse_amount BEFORE INSERT ON payment "
                f"WHEN NEW.amount = {amount} "
                "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_refused_amount'); END"
            )
            return
        await connection.exec_driver_sql(
            "CREATE FUNCTION refuse_amount() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE check_violation USING MESSAGE = 'violates check constraint ck_refused_amount'; "
            "END $$"
        )
        await connection.exec_driver_sql(
            "CREATE TRIGGER refuse_amount BEFORE INSERT ON payment FOR EACH ROW "
            f"WHEN (NEW.amount = {amount}) EXECUTE FUNCTION refuse_amount()"
        )


async def refuse_checkout_quoting(db: Database, session_id: str, quoted: str) -> None:
    """The database refuses the checkout row of Stripe session `session_id` with an error
    that quotes `quoted`, as PostgreSQL's "Failing row contains (...)" quotes a refused row's
    values: the stored error then holds what the row held."""
    message = f"refused row ({session_id}, {quoted})".replace("'", "''")
    async with db.writing() as connection:
        if is_sqlite(db.url):
            await connection.exec_driver_sql(
                "CREATE TRIGGER refuse_checkout BEFORE INSERT ON checkout "
                f"WHEN NEW.stripe_session_id = '{session_id}' "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
            return
        await connection.exec_driver_sql(
            "CREATE FUNCTION refuse_checkout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE check_violation USING MESSAGE = '{message}'; END $$"
        )
        await connection.exec_driver_sql(
            "CREATE TRIGGER refuse_checkout BEFORE INSERT ON checkout FOR EACH ROW "
            f"WHEN (NEW.stripe_session_id = '{session_id}') EXECUTE FUNCTION refuse_checkout()"
        )


async def allow_checkouts(db: Database) -> None:
    async with db.writing() as connection:
        await connection.exec_driver_sql(
            "DROP TRIGGER refuse_checkout" + ("" if is_sqlite(db.url) else " ON checkout")
        )
        if not is_sqlite(db.url):
            await connection.exec_driver_sql("DROP FUNCTION refuse_checkout()")
