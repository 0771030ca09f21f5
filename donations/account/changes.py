"""The changes a supporter may ask Stripe for, on a membership that is theirs.

Each is one Stripe call through the app's client. Nothing here writes the membership: Stripe
answers with `customer.subscription.updated` (and `.paused`/`.resumed` where it sends them),
which webhooks book as they book every change. What is written here is the request
(`account_change`, so the page can say "pending" until the ledger shows it) and the audit row.

- amount / frequency: the subscription item's `price_data` with `proration_behavior=none`.
  The same interval: the new amount from the next renewal. Another interval: Stripe bills the
  new period at once and the cycle restarts from today (the reader is told before).
- pause: `pause_collection` {behavior: void, resumes_at} for 1 to 3 months; resume: cleared.
- cancel: `cancel_at_period_end` with `cancellation_details` {feedback, comment}: the
  membership stays, and is paid for, until the period it has paid for ends.
"""

from __future__ import annotations

import calendar
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import stripe

from donations.frequency import Frequency
from donations.models import AccountChange, ChangeKind, Membership
from donations.staff import Action, audit
from donations.state import AppState

logger = logging.getLogger(__name__)

T = TypeVar("T")

PAUSE_MONTHS = (1, 2, 3)
# Stripe's `cancellation_details.feedback` values, in the words the form shows.
FEEDBACK = {
    "too_expensive": "It costs too much for me now",
    "unused": "I do not read it enough",
    "low_quality": "I am not happy with the journalism",
    "switched_service": "I support another publication instead",
    "customer_service": "I had a problem with the service",
    "other": "Another reason",
}
MAX_COMMENT = 500
STRIPE_REFUSED = "Our payment provider could not make this change just now: {reason}"
STRIPE_DOWN = "We could not reach our payment provider. Nothing changed; please try again."
INTERVAL_OF = {Frequency.monthly: "month", Frequency.annual: "year"}


class ChangeRefused(Exception):
    """Stripe refused or did not answer; the message is for the reader."""


@dataclass(frozen=True)
class Actor:
    supporter_id: int
    client_ip: str | None

    @property
    def name(self) -> str:
        return f"supporter:{self.supporter_id}"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


async def change_amount(
    state: AppState,
    actor: Actor,
    membership: Membership,
    *,
    amount: int,
    frequency: Frequency,
    now: datetime,
) -> None:
    interval = INTERVAL_OF[frequency]
    subscription_id = membership.stripe_subscription_id

    async def call() -> None:
        current = await state.stripe.v1.subscriptions.retrieve_async(subscription_id)
        item = current["items"]["data"][0]
        product = item["price"]["product"]
        await state.stripe.v1.subscriptions.update_async(
            subscription_id,
            {
                "items": [
                    {
                        "id": item["id"],
                        "price_data": {
                            "currency": membership.currency,
                            "product": product if isinstance(product, str) else product["id"],
                            "unit_amount": amount,
                            "recurring": {"interval": interval},
                        },
                    }
                ],
                "proration_behavior": "none",
            },
        )

    await call_stripe(call)
    detail = f"{subscription_id}: {amount} {membership.currency} every {interval}"
    await _record(
        state,
        actor,
        membership,
        ChangeKind.amount,
        {"amount": amount, "interval": interval},
        Action.account_amount_changed,
        detail,
        now,
    )


async def pause(
    state: AppState, actor: Actor, membership: Membership, *, months: int, now: datetime
) -> datetime:
    if months not in PAUSE_MONTHS:
        raise ValueError(f"a pause lasts 1 to 3 months, not {months}")
    resumes_at = add_months(now, months)
    subscription_id = membership.stripe_subscription_id

    async def call() -> None:
        await state.stripe.v1.subscriptions.update_async(
            subscription_id,
            {"pause_collection": {"behavior": "void", "resumes_at": int(resumes_at.timestamp())}},
        )

    await call_stripe(call)
    detail = f"{subscription_id}: until {resumes_at:%Y-%m-%d}"
    await _record(
        state,
        actor,
        membership,
        ChangeKind.pause,
        {"paused": True},
        Action.account_paused,
        detail,
        now,
    )
    return resumes_at


async def resume(state: AppState, actor: Actor, membership: Membership, *, now: datetime) -> None:
    subscription_id = membership.stripe_subscription_id

    async def call() -> None:
        await state.stripe.v1.subscriptions.update_async(subscription_id, {"pause_collection": ""})

    await call_stripe(call)
    await _record(
        state,
        actor,
        membership,
        ChangeKind.resume,
        {"paused": False},
        Action.account_resumed,
        subscription_id,
        now,
    )


async def cancel(
    state: AppState,
    actor: Actor,
    membership: Membership,
    *,
    feedback: str,
    comment: str,
    now: datetime,
) -> None:
    if feedback not in FEEDBACK:
        raise ValueError(f"unknown reason {feedback!r}")
    comment = comment.strip()[:MAX_COMMENT]
    subscription_id = membership.stripe_subscription_id

    async def call() -> None:
        await state.stripe.v1.subscriptions.update_async(
            subscription_id,
            {
                "cancel_at_period_end": True,
                "cancellation_details": {"feedback": feedback, "comment": comment},
            },
        )

    await call_stripe(call)
    # The reason, not the comment: the comment is the reader's own words, and stays at Stripe.
    await _record(
        state,
        actor,
        membership,
        ChangeKind.cancel,
        {"cancel_at_period_end": True},
        Action.account_cancelled,
        f"{subscription_id}: {feedback}",
        now,
    )


async def call_stripe(call: Callable[[], Awaitable[T]]) -> T:
    """Run a Stripe call for its answer; a refusal or an outage becomes ChangeRefused for the
    reader."""
    try:
        return await call()
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        logger.warning("account change: Stripe unavailable: %s", error)
        raise ChangeRefused(STRIPE_DOWN) from error
    except stripe.StripeError as error:
        logger.warning("account change refused by Stripe: %s", error)
        raise ChangeRefused(STRIPE_REFUSED.format(reason=error.user_message or error)) from error


async def _record(
    state: AppState,
    actor: Actor,
    membership: Membership,
    kind: ChangeKind,
    asked: dict[str, Any],
    action: Action,
    detail: str,
    now: datetime,
) -> None:
    assert membership.id is not None
    async with state.db.writing_session() as session:
        session.add(
            AccountChange(
                supporter_id=actor.supporter_id,
                membership_id=membership.id,
                kind=kind,
                wanted=json.dumps(asked),
                requested_at=now,
            )
        )
        audit(
            session=session,
            actor=actor.name,
            action=action,
            detail=detail,
            client_ip=actor.client_ip,
            at=now,
        )
