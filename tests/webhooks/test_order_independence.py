"""Any permutation of a scenario's events, with any duplicates, each rendered in any API
version Stripe could have sent it in, leaves the same ledger as Stripe's own order; and the
reports' totals of that ledger are the ones worked out from the scenario's story
(stripe_events.expected, which never reads the ledger's code)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import SQLModel

import stripe_events as se
from donations.db import Database
from tests.webhooks.ledger_dump import dump, totals
from webhooks.inbox import EventOutcome, receive_dict


async def _empty(db: Database) -> None:
    async with db.session() as session, session.begin():
        for table in reversed(SQLModel.metadata.sorted_tables):
            await session.exec(delete(table))


async def _ledger_after(db: Database, events: list[dict[str, Any]]) -> dict[str, Any]:
    await _empty(db)
    for event in events:
        receipt = await receive_dict(db, event)
        assert receipt.outcome != EventOutcome.failed, receipt.error
    return await dump(db)


async def _ledger_after_all_at_once(db: Database, events: list[dict[str, Any]]) -> dict[str, Any]:
    """Every delivery in flight together: the first is written alone, the rest queue behind
    it and are written as one group (webhooks/inbox.py), in arrival order."""
    await _empty(db)
    receipts = await asyncio.gather(*(receive_dict(db, event) for event in events))
    for receipt in receipts:
        assert receipt.outcome != EventOutcome.failed, receipt.error
    return await dump(db)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[se.Scenario, list[dict[str, Any]]]:
    scenario = draw(se.scenarios(max_supporters=4, max_happenings=14, versions="any"))
    events = scenario.events
    duplicates = draw(st.lists(st.sampled_from(events), max_size=len(events) // 2))
    shuffled = draw(st.permutations(events + duplicates))
    return scenario, shuffled


@pytest.mark.asyncio
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries())
async def test_any_order_in_any_version_with_duplicates_gives_the_same_ledger_and_totals(
    db: Database, delivery: tuple[se.Scenario, list[dict[str, Any]]]
) -> None:
    scenario, shuffled = delivery
    # Stripe's own order: the reference ledger.
    in_order = await _ledger_after(db, scenario.events)
    assert await totals(db, now=scenario.ends_at) == se.expected_totals(scenario)
    assert await _ledger_after(db, shuffled) == in_order
    # The same deliveries written in one group commit leave the same ledger.
    assert await _ledger_after_all_at_once(db, shuffled) == in_order
