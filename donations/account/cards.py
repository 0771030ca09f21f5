"""A new card for a membership: Checkout in setup mode, then the card made the subscription's
default payment method (https://docs.stripe.com/payments/checkout/subscriptions/update-payment-details).

1. `start` writes the request (`account_change`, kind card) and opens a setup-mode session for
   the membership's customer, our change id in its metadata; the reader goes there.
2. Stripe sends `checkout.session.completed` for it. Its handler (webhooks/handlers/
   checkout_sessions.py) books `saved` here: a setup session is no money, so it is otherwise
   stored as ignored, but one of ours is the card the reader asked for.
3. `finish` reads the session's SetupIntent at Stripe and makes its payment method the
   subscription's `default_payment_method`: when the reader comes back from Checkout, and
   again from the account page for a saved card the reader never came back from (a webhook
   handler books the ledger inside the event's transaction and calls nobody).
The page says "pending" until both have happened.
"""

from __future__ import annotations

import logging
from datetime import datetime

import stripe
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from donations.account.changes import Actor, ChangeRefused, call_stripe
from donations.models import AccountChange, ChangeKind, Membership
from donations.sql import execute
from donations.staff import Action, audit
from donations.state import AppState

logger = logging.getLogger(__name__)

# Our metadata on the setup session and its SetupIntent.
CHANGE_ID = "account_change"
SUBSCRIPTION = "subscription"


async def start(state: AppState, actor: Actor, membership: Membership, *, now: datetime) -> str:
    """The URL of a setup-mode Checkout page for a new card for `membership`."""
    assert membership.id is not None
    if membership.stripe_customer_id is None:
        raise ChangeRefused(
            "We do not know this membership's customer at our payment provider yet."
        )
    async with state.db.writing_session() as session:
        change = AccountChange(
            supporter_id=actor.supporter_id,
            membership_id=membership.id,
            kind=ChangeKind.card,
            requested_at=now,
        )
        session.add(change)
        await session.flush()
        change_id = change.id
    metadata = {CHANGE_ID: str(change_id), SUBSCRIPTION: membership.stripe_subscription_id}
    site = state.settings.SITE_URL
    checkout = await call_stripe(
        lambda: state.stripe.v1.checkout.sessions.create_async(
            {
                "mode": "setup",
                "currency": membership.currency,
                "customer": str(membership.stripe_customer_id),
                "metadata": metadata,
                "setup_intent_data": {"metadata": metadata},
                "success_url": site + "/account/card/done?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": site + "/account",
            },
            {"idempotency_key": f"account-card-{change_id}"},
        )
    )
    async with state.db.writing_session() as session:
        await execute(
            session,
            update(AccountChange)
            .where(col(AccountChange.id) == change_id)
            .values(stripe_session_id=checkout.id),
        )
        audit(
            session=session,
            actor=actor.name,
            action=Action.account_card_requested,
            detail=membership.stripe_subscription_id,
            client_ip=actor.client_ip,
            at=now,
        )
    if checkout.url is None:
        raise ChangeRefused("Our payment provider did not give us a page to save the card on.")
    return checkout.url


async def saved(session: AsyncSession, *, metadata: dict[str, str], at: datetime) -> bool:
    """Book a setup session's completion if it is one of ours: whether it was."""
    change_id = metadata.get(CHANGE_ID)
    if change_id is None or not change_id.isdigit():
        return False
    await execute(
        session,
        update(AccountChange)
        .where(col(AccountChange.id) == int(change_id), col(AccountChange.saved_at).is_(None))
        .values(saved_at=at),
    )
    return True


async def change_of_session(
    state: AppState, supporter_id: int, session_id: str
) -> AccountChange | None:
    """This supporter's card change for a setup session; None for anyone else's."""
    async with state.db.session() as session:
        return (
            await session.exec(
                select(AccountChange).where(
                    col(AccountChange.stripe_session_id) == session_id,
                    col(AccountChange.supporter_id) == supporter_id,
                    col(AccountChange.kind) == ChangeKind.card,
                )
            )
        ).first()


async def finish(state: AppState, actor: Actor, change: AccountChange, *, now: datetime) -> bool:
    """Make the card saved by `change`'s session the subscription's default: whether it is."""
    if change.payment_method is not None:
        return True
    session_id = change.stripe_session_id
    if session_id is None:
        return False
    async with state.db.session() as session:
        membership = await session.get(Membership, change.membership_id)
    if membership is None:
        return False
    checkout = await call_stripe(
        lambda: state.stripe.v1.checkout.sessions.retrieve_async(
            session_id, {"expand": ["setup_intent"]}
        )
    )
    intent = checkout.setup_intent
    if checkout.status != "complete" or not isinstance(intent, stripe.SetupIntent):
        return False
    method = intent.payment_method
    method_id = method if isinstance(method, str) else method.id if method else None
    if method_id is None:
        return False
    subscription_id = membership.stripe_subscription_id

    async def call() -> None:
        await state.stripe.v1.subscriptions.update_async(
            subscription_id, {"default_payment_method": method_id}
        )

    await call_stripe(call)
    async with state.db.writing_session() as session:
        await execute(
            session,
            update(AccountChange)
            .where(col(AccountChange.id) == change.id)
            .values(payment_method=method_id),
        )
        audit(
            session=session,
            actor=actor.name,
            action=Action.account_card_changed,
            detail=subscription_id,
            client_ip=actor.client_ip,
            at=now,
        )
    return True


async def finish_saved(state: AppState, actor: Actor, *, now: datetime) -> None:
    """Finish every card this supporter saved but never came back from Checkout for."""
    async with state.db.session() as session:
        waiting = (
            await session.exec(
                select(AccountChange).where(
                    col(AccountChange.supporter_id) == actor.supporter_id,
                    col(AccountChange.kind) == ChangeKind.card,
                    col(AccountChange.saved_at).is_not(None),
                    col(AccountChange.payment_method).is_(None),
                )
            )
        ).all()
    for change in waiting:
        try:
            await finish(state, actor, change, now=now)
        except ChangeRefused:
            logger.warning("saved card %s not yet made the default", change.id, exc_info=True)
