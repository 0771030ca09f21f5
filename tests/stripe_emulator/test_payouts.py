"""The balance and payouts: a BalanceTransaction for every movement of money with the
emulator's fee, money available days later, a payout every day at 00:00 UTC, and the lists
and events a reconciliation reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import stripe

from stripe_emulator import EmulatorConfig
from tests.stripe_emulator.support import BALANCE_EVENTS, DAY, Stack, donation_params

HOUR = 3600


def _give(
    stack: Stack,
    client: stripe.StripeClient,
    amount: int,
    card: str = "4242424242424242",
    currency: str = "eur",
) -> str:
    """A paid one-off gift of `amount` (minor units); its PaymentIntent id."""
    params = donation_params()
    params["line_items"][0]["price_data"].update(unit_amount=amount, currency=currency)
    session = client.v1.checkout.sessions.create(params=params)
    stack.pay(session.id, card=card)
    return str(client.v1.checkout.sessions.retrieve(session.id).payment_intent)


def _fee_txn(client: stripe.StripeClient, payment_intent: str) -> Any:
    pi = client.v1.payment_intents.retrieve(
        payment_intent, params={"expand": ["latest_charge.balance_transaction"]}
    )
    return pi.latest_charge.balance_transaction  # type: ignore[union-attr]


def _balance_types(stack: Stack) -> list[str]:
    return [t for t in stack.receiver.types() if t.startswith(BALANCE_EVENTS)]


def test_a_ten_euro_gift_pays_the_fee_rule_and_is_pending_until_two_days_later(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    txn = _fee_txn(client, _give(stack, client, 1000))
    # round(1000 * 1.5%) + 25 = 15 + 25
    assert (txn.amount, txn.fee, txn.net, txn.currency) == (1000, 40, 960, "eur")
    assert (txn.type, txn.reporting_category, txn.status) == ("charge", "charge", "pending")
    assert [d.to_dict() for d in txn.fee_details] == [
        {
            "amount": 40,
            "application": None,
            "currency": "eur",
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]
    # Noon + 2 days is 12:00 on day 2: available at the next 00:00.
    assert txn.available_on == day + 3 * DAY
    assert client.v1.balance.retrieve().pending[0].to_dict() == {
        "amount": 960,
        "currency": "eur",
        "source_types": {"card": 960},
    }


@pytest.mark.parametrize("stack", [{"fee_percent": Decimal("2.9"), "fee_fixed": 30}], indirect=True)
def test_the_fee_follows_the_configured_rule(stack: Stack, client: stripe.StripeClient) -> None:
    txn = _fee_txn(client, _give(stack, client, 1000))
    assert (txn.fee, txn.net) == (59, 941)  # round(1000 * 2.9%) + 30


def test_a_bad_payout_setting_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^EmulatorConfig.payout_schedule: must be one of"):
        EmulatorConfig(public_url="http://x", payout_schedule="weekly")
    with pytest.raises(
        ValueError, match=r"^EmulatorConfig.payout_arrival_days: must be at least 1$"
    ):
        EmulatorConfig(public_url="http://x", payout_arrival_days=0)


def test_a_day_s_payout_is_the_sum_of_its_transactions_to_the_cent(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    first = _give(stack, client, 1000)  # net 960
    _give(stack, client, 2500)  # fee round(37.5) = 38 (half to even) + 25: net 2437
    refund = client.v1.refunds.create(params={"payment_intent": first, "amount": 500})
    assert client.v1.balance_transactions.retrieve(str(refund.balance_transaction)).status == (
        "available"
    )

    assert [e["type"] for e in stack.advance_to(day + 3 * DAY - 1)["events"]] == []
    moved = stack.advance_to(day + 3 * DAY)["events"]
    assert [e["type"] for e in moved] == ["balance.available", "payout.created"]
    (payout,) = client.v1.payouts.list().data
    assert (payout.amount, payout.currency, payout.status) == (2897, "eur", "pending")
    assert (payout.created, payout.arrival_date) == (day + 3 * DAY, day + 5 * DAY)
    assert (payout.automatic, payout.method, payout.type) == (True, "standard", "bank_account")
    assert payout.reconciliation_status == "in_progress"

    paid_out = list(
        client.v1.balance_transactions.list(
            params={"payout": payout.id, "limit": 100}
        ).auto_paging_iter()
    )
    by_type = sorted((t.type, t.net) for t in paid_out)
    assert by_type == [("charge", 960), ("charge", 2437), ("payout", -2897), ("refund", -500)]
    assert sum(t.net for t in paid_out if t.type != "payout") == payout.amount
    own = client.v1.balance_transactions.retrieve(str(payout.balance_transaction))
    assert (own.amount, own.source, own.reporting_category) == (-2897, payout.id, "payout")
    assert [b.amount for b in client.v1.balance.retrieve().available] == [0]

    assert [e["type"] for e in stack.advance_to(day + 3 * DAY + 6 * HOUR)["events"]] == [
        "payout.updated"
    ]
    stack.advance_to(day + 5 * DAY)
    stack.flush()
    assert _balance_types(stack) == [
        "balance.available",
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.reconciliation_completed",
    ]
    updated = next(e for e in stack.receiver.events if e["type"] == "payout.updated")
    assert updated["data"]["previous_attributes"] == {"status": "pending"}
    assert updated["data"]["object"]["status"] == "in_transit"
    paid = stack.receiver.one("payout.paid")
    assert (paid["id"], paid["status"], paid["amount"]) == (payout.id, "paid", 2897)
    reconciled = stack.receiver.one("payout.reconciliation_completed")
    assert reconciled["reconciliation_status"] == "completed"
    available = stack.receiver.one("balance.available")
    assert available["object"] == "balance"
    assert available["available"] == [
        {"amount": 2897, "currency": "eur", "source_types": {"card": 2897}}
    ]


def test_balance_transactions_page_like_stripe_lists_with_filters_and_expanded_sources(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    gifts = [_give(stack, client, 100 + i) for i in range(12)]
    stack.advance_to(day + 3 * DAY)
    (payout,) = client.v1.payouts.list().data
    charges = [_fee_txn(client, pi).id for pi in gifts]

    first = client.v1.balance_transactions.list(params={"payout": payout.id, "limit": 5})
    assert (len(first.data), first.has_more) == (5, True)
    # Newest first: the payout's own transaction, then the gifts, the last made first.
    assert [t.id for t in first.data] == [payout.balance_transaction, *charges[::-1][:4]]
    second = client.v1.balance_transactions.list(
        params={"payout": payout.id, "limit": 5, "starting_after": first.data[-1].id}
    )
    third = client.v1.balance_transactions.list(
        params={"payout": payout.id, "limit": 5, "starting_after": second.data[-1].id}
    )
    assert [t.id for t in second.data] == charges[::-1][4:9]
    assert ([t.id for t in third.data], third.has_more) == (charges[::-1][9:], False)
    back = client.v1.balance_transactions.list(
        params={"payout": payout.id, "limit": 2, "ending_before": third.data[0].id}
    )
    assert [t.id for t in back.data] == charges[::-1][7:9]
    every = list(first.auto_paging_iter())
    assert len({t.id for t in every}) == 13
    assert sum(t.net for t in every if t.type != "payout") == payout.amount

    only_charges = client.v1.balance_transactions.list(params={"type": "charge", "limit": 100})
    assert [t.id for t in only_charges.data] == charges[::-1]
    created_today = client.v1.balance_transactions.list(
        params={"created": {"gte": day, "lt": day + DAY}, "limit": 100}
    )
    assert len(created_today.data) == 12
    expanded = client.v1.balance_transactions.list(
        params={"payout": payout.id, "limit": 3, "expand": ["data.source"]}
    )
    sources = [t.source for t in expanded.data]
    assert sources[0].object == "payout" and sources[0].id == payout.id  # type: ignore[union-attr]
    assert {s.object for s in sources[1:]} == {"charge"}  # type: ignore[union-attr]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.balance_transactions.list(params={"payout": "po_missing"})
    assert (raised.value.http_status, raised.value.param) == (404, "payout")


def test_a_dispute_s_withdrawal_and_reinstatement_are_in_the_payout(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    pi = _give(stack, client, 1500, card="4000000000000259")
    stack.control(f"/disputes/{pi}/close", {"outcome": "won"})
    stack.flush()
    dispute = client.v1.disputes.retrieve(stack.receiver.one("charge.dispute.created")["id"])
    withdrawn, reinstated = dispute.balance_transactions
    assert (withdrawn.amount, withdrawn.fee, withdrawn.net) == (-1500, 1500, -3000)
    assert (withdrawn.type, withdrawn.reporting_category) == ("adjustment", "dispute")
    assert withdrawn.fee_details[0].description == "Dispute fee"
    assert (reinstated.amount, reinstated.fee, reinstated.net) == (1500, -1500, 3000)
    assert reinstated.reporting_category == "dispute_reversal"
    stack.advance_to(day + 3 * DAY)
    (payout,) = client.v1.payouts.list().data
    # 15.00 less its fee (47), withdrawn with the dispute fee, reinstated with it.
    assert payout.amount == 1453
    paid_out = client.v1.balance_transactions.list(params={"payout": payout.id}).data
    assert sorted(t.reporting_category for t in paid_out) == [
        "charge",
        "dispute",
        "dispute_reversal",
        "payout",
    ]


def test_a_canceled_or_failed_payout_gives_the_money_back_to_the_next_one(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    _give(stack, client, 1000)
    stack.advance_to(day + 3 * DAY)
    (first,) = client.v1.payouts.list().data
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payouts.cancel(first.id)
    assert raised.value.user_message == (
        "Automatic payouts cannot be canceled through the API (use the emulator's controls)."
    )
    canceled = stack.control(f"/payouts/{first.id}/cancel")
    assert canceled["status"] == "canceled"
    back = client.v1.balance_transactions.list(params={"type": "payout_cancel"}).data
    assert [(t.amount, t.source, t.reporting_category) for t in back] == [
        (960, first.id, "payout_reversal")
    ]

    stack.advance_to(day + 4 * DAY)
    second = client.v1.payouts.list(params={"limit": 1}).data[0]
    assert (second.amount, second.created) == (960, day + 4 * DAY)
    stack.advance_to(day + 6 * DAY)
    assert client.v1.payouts.retrieve(second.id).status == "paid"
    failed = stack.control(f"/payouts/{second.id}/fail", {"failure_code": "no_account"})
    assert (failed["status"], failed["failure_code"]) == ("failed", "no_account")
    returned = client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    assert (returned.type, returned.amount, returned.status) == ("payout_failure", 960, "available")

    stack.advance_to(day + 7 * DAY)
    third = client.v1.payouts.list(params={"limit": 1}).data[0]
    assert (third.amount, third.created) == (960, day + 7 * DAY)
    assert [p.status for p in client.v1.payouts.list().data] == ["pending", "failed", "canceled"]
    assert [p.id for p in client.v1.payouts.list(params={"status": "failed"}).data] == [second.id]
    stack.flush()
    events = _balance_types(stack)
    assert events.count("payout.canceled") == events.count("payout.failed") == 1
    with pytest.raises(Exception, match="Only a pending payout can be canceled"):
        stack.control(f"/payouts/{second.id}/cancel")


@pytest.mark.parametrize("stack", [{"payout_schedule": "manual"}], indirect=True)
def test_a_manual_schedule_keeps_the_money_in_the_available_balance(
    stack: Stack, client: stripe.StripeClient
) -> None:
    day = stack.noon()
    _give(stack, client, 1000)
    moved = stack.advance_to(day + 10 * DAY)["events"]
    assert [e["type"] for e in moved] == ["balance.available"]
    assert client.v1.payouts.list().data == []
    assert client.v1.balance.retrieve().available[0].amount == 960


def test_each_currency_is_paid_out_apart(stack: Stack, client: stripe.StripeClient) -> None:
    day = stack.noon()
    _give(stack, client, 1000)
    _give(stack, client, 1000, currency="gbp")
    stack.advance_to(day + 3 * DAY)
    payouts = client.v1.payouts.list().data
    assert sorted((p.currency, p.amount) for p in payouts) == [("eur", 960), ("gbp", 960)]
