"""`donations reconcile payouts` and `donations report payouts` as finance runs them: what they
print, and the exit codes cron reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from donations.db import Database
from stripe_emulator import EmulatorConfig
from stripe_emulator import create_app as create_emulator
from tests.payouts.factories import a_month_of_payouts
from tests.support.cli import in_process
from tests.support.servers import free_port, serve_in_thread

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def emulator() -> Iterator[str]:
    """A standalone emulator that has made no payout."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serve_in_thread(create_emulator(EmulatorConfig(public_url=url)), port=port):
        yield url


@pytest.mark.asyncio
async def test_the_payouts_table_shows_each_payout_and_the_mismatches(
    db: Database, database_url: str
) -> None:
    month = await a_month_of_payouts(db)
    env = {"DATABASE_URL": database_url, "COLUMNS": "200"}
    result = await in_process("report", "payouts", *MARCH, "--as-of", "2026-03-31", env=env)
    assert result.exit_code == 0, result.output
    for text in (month.eur.id, "€39.78", "-€19.22", "£11.57", "3 mismatches", "not_in_ledger",
                 "not_paid_out", "unexplained"):  # fmt: skip
        assert text in result.stdout, text
    # As of the day the unpaid gift was given, it is not late: two mismatches.
    early = await in_process("report", "payouts", *MARCH, "--as-of", "2026-03-03", env=env)
    assert "2 mismatches" in early.stdout


@pytest.mark.asyncio
async def test_a_payout_asked_for_that_was_never_fetched_is_one_clear_line(
    database_url: str,
) -> None:
    result = await in_process(
        "report", "payouts", "--payout", "po_missing", env={"DATABASE_URL": database_url}
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "error: no balance transactions stored for payout 'po_missing' "
        "(`donations reconcile payouts`)\n",
    )


@pytest.mark.asyncio
async def test_reconcile_refuses_a_day_it_cannot_read(database_url: str) -> None:
    result = await in_process(
        "reconcile", "payouts", "--since", "last week", env={"DATABASE_URL": database_url}
    )
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --since must be a date like 2026-01-31, not 'last week'\n",
    )


@pytest.mark.asyncio
async def test_a_payout_stripe_does_not_know_is_a_failure_and_the_exit_code_says_so(
    db: Database, database_url: str, emulator: str
) -> None:
    await a_month_of_payouts(db)
    env = {"DATABASE_URL": database_url, "STRIPE_SECRET_KEY": "sk_test_x",
           "STRIPE_API_BASE": emulator}  # fmt: skip
    # Only the payout never fetched is due; this Stripe never made it.
    result = await in_process("reconcile", "payouts", env=env)
    assert result.exit_code == 1, result.output
    assert result.stdout == (
        "1 payouts to fetch: 0 explained (0 balance transactions), 0 not adding up yet, "
        "0 manual, 1 failed\n"
    )


@pytest.mark.asyncio
async def test_reconcile_says_when_stripe_cannot_be_reached(
    db: Database, database_url: str
) -> None:
    await a_month_of_payouts(db)
    env = {"DATABASE_URL": database_url, "STRIPE_SECRET_KEY": "sk_test_x",
           "STRIPE_API_BASE": "http://127.0.0.1:9"}  # fmt: skip
    result = await in_process("reconcile", "payouts", env=env)
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "error: cannot reach Stripe at http://127.0.0.1:9; "
        "0 payouts were stored before it stopped answering",
    )
