"""A supporter's account (docs/account.md).

    GET  /account                              signed in: gifts and memberships; else the
                                               email form
    POST /account/link                         email a sign-in link; the same answer whether
                                               or not we know the address (429 past the limits)
    GET  /account/sign-in?token=               a button that signs in (mail scanners follow
                                               links; only a person presses the button)
    POST /account/sign-in                      use the link once: the session cookie, 303
    POST /account/sign-out                     end the session
    GET  /account/receipts/{payment}           one of the supporter's gifts; 404 for others
    GET  /account/statements/{year}            the year's giving statement (donations/mail/
                                               statements.py); 404 for a year without gifts
    POST /account/memberships/{sub}/amount     amount and frequency, from the next renewal
    POST /account/memberships/{sub}/pause      1 to 3 months
    POST /account/memberships/{sub}/resume
    POST /account/memberships/{sub}/cancel     at the period's end, with a reason
    POST /account/memberships/{sub}/card       303 to Checkout in setup mode
    GET  /account/card/done?session_id=        back from Checkout: the card made the default
    GET  /account/monthly?offer=               the signed offer to give monthly
    POST /account/monthly                      303 to a prefilled monthly Checkout

Every POST is refused (403) unless it comes from our own pages (web/csrf.py), and, once
signed in, unless it carries the session's CSRF token. A membership that is not the signed-in
supporter's is a 404, whoever's it is.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from donations.account import cards, changes, offer, overview, sign_in
from donations.account.changes import Actor, ChangeRefused
from donations.account.tokens import account_key, digest, sign, unsign
from donations.checkout import service
from donations.checkout.rules import (
    Contribution,
    ContributionError,
    ContributionRules,
    describe,
    validate_form,
)
from donations.mail import statements
from donations.models import Checkout, Frequency, Membership, utcnow
from donations.money import to_major
from donations.reports.fiscal import fiscal_year_of
from donations.staff import Action, audit
from donations.state import AppState, app_state
from donations.supporters import MAX_EMAIL_LENGTH, normalise_email
from donations.web.csrf import same_site
from donations.web.templates import templates

logger = logging.getLogger(__name__)

CSRF = "csrf"
CROSS_SITE = "This form can only be sent from our own pages."
EXPIRED_FORM = "This page was open too long or in another session. Please try again."
TOO_MANY = "Too many sign-in emails asked for. Please try again in {minutes} minutes."
BAD_LINK = (
    "This sign-in link cannot be used: it has expired, has been used already, or is not one "
    "we sent. Ask for a new one below."
)
NO_STORE = {"Cache-Control": "no-store"}
DONE = {
    "amount": "Your new amount is on its way to our payment provider.",
    "pause": "Your pause is on its way to our payment provider.",
    "resume": "Your membership is resuming.",
    "cancel": "Your cancellation is on its way to our payment provider.",
    "card": "Your new card is saved.",
}


def _key(state: AppState) -> bytes:
    return account_key(state.settings)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, f"account/{name}.html", context, status_code=status_code, headers=NO_STORE
    )


async def _who(request: Request) -> sign_in.SignedIn | None:
    state = app_state(request)
    return await sign_in.signed_in(
        state.db, key=_key(state), cookie=request.cookies.get(sign_in.COOKIE), now=utcnow()
    )


def _csrf_token(state: AppState, who: sign_in.SignedIn) -> str:
    return sign(_key(state), CSRF, who.key_hash)


async def _posted(
    request: Request,
) -> tuple[sign_in.SignedIn | None, dict[str, str], Response | None]:
    """A signed-in form: (who, its fields, None), or a refusal to answer with."""
    state = app_state(request)
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if not same_site(request, state.settings.SITE_URL):
        return None, fields, _page(request, "message", {"message": CROSS_SITE}, 403)
    who = await _who(request)
    if who is None:
        return None, fields, RedirectResponse("/account", status_code=303)
    if unsign(_key(state), CSRF, fields.get(CSRF)) != who.key_hash:
        return who, fields, _page(request, "message", {"message": EXPIRED_FORM}, 403)
    return who, fields, None


# The sign-in form and the link


async def account(request: Request) -> Response:
    who = await _who(request)
    if who is None:
        return _page(request, "sign_in_form", {})
    state = app_state(request)
    actor = Actor(who.supporter_id, _client(request))
    await cards.finish_saved(state, actor, now=utcnow())
    async with state.db.session() as session:
        seen = await overview.overview(session, who.supporter_id)
    monthly_offer = None
    last = seen.last_one_off
    if last is not None and not seen.gives_monthly:
        monthly_offer = {
            "summary": describe(last.amount, last.currency, Frequency.monthly),
            "link": offer.link(
                _key(state),
                amount=last.amount,
                currency=last.currency,
                session_id=None,
                now=utcnow(),
            ),
        }
    context = {
        "who": who,
        "overview": seen,
        "csrf": _csrf_token(state, who),
        "done": DONE.get(request.query_params.get("done", "")),
        "feedback": changes.FEEDBACK,
        "pause_months": changes.PAUSE_MONTHS,
        "monthly_offer": monthly_offer,
        "statement_years": _statement_years(state, seen),
        "major": lambda amount, currency: str(to_major(amount, currency)),
    }
    return _page(request, "overview", context)


async def ask_for_link(request: Request) -> Response:
    state = app_state(request)
    settings = state.settings
    form = await request.form()
    email = form.get("email")
    email = email.strip() if isinstance(email, str) else ""
    if not same_site(request, settings.SITE_URL):
        return _page(request, "sign_in_form", {"notice": CROSS_SITE, "email": email}, 403)
    address = normalise_email(email)
    if address is None or "@" not in address or len(email) > MAX_EMAIL_LENGTH:
        notice = "That does not look like an email address."
        return _page(request, "sign_in_form", {"notice": notice, "email": email}, 422)
    limits = state.account_limits
    for verdict in (
        await limits.per_client.hit("account-client:" + (_client(request) or "unknown")),
        # Counted by a digest: Redis (or a memory dump) holds no reader's address.
        await limits.per_email.hit("account-email:" + digest(address)),
    ):
        if not verdict.allowed:
            minutes = max(1, -(-verdict.retry_after // 60))
            response = _page(
                request, "sign_in_form", {"notice": TOO_MANY.format(minutes=minutes)}, 429
            )
            response.headers["Retry-After"] = str(verdict.retry_after)
            return response
    await sign_in.issue_link(
        state.db,
        key=_key(state),
        email=email,
        site_url=settings.SITE_URL,
        minutes=settings.ACCOUNT_LINK_MINUTES,
        client_ip=_client(request),
        now=utcnow(),
    )
    # The same page for an address we know and one we do not; the outbox's worker sends the
    # email within its next pass (seconds).
    return _page(request, "link_sent", {"minutes": settings.ACCOUNT_LINK_MINUTES})


async def sign_in_page(request: Request) -> Response:
    state = app_state(request)
    token = request.query_params.get("token")
    if sign_in.link_token(_key(state), token) is None:
        return _page(request, "sign_in_form", {"notice": BAD_LINK}, 400)
    return _page(request, "sign_in_confirm", {"token": token})


async def use_link(request: Request) -> Response:
    state = app_state(request)
    settings = state.settings
    form = await request.form()
    if not same_site(request, settings.SITE_URL):
        return _page(request, "sign_in_form", {"notice": CROSS_SITE}, 403)
    token = form.get("token")
    cookie = await sign_in.redeem(
        state.db,
        key=_key(state),
        value=token if isinstance(token, str) else None,
        session_hours=settings.ACCOUNT_SESSION_HOURS,
        client_ip=_client(request),
        now=utcnow(),
    )
    if cookie is None:
        return _page(request, "sign_in_form", {"notice": BAD_LINK}, 400)
    response = RedirectResponse("/account", status_code=303)
    response.set_cookie(
        sign_in.COOKIE,
        cookie,
        max_age=settings.ACCOUNT_SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.SITE_URL.startswith("https://"),
    )
    return response


async def sign_out(request: Request) -> Response:
    who, _, refused = await _posted(request)
    if refused is not None:
        return refused
    assert who is not None
    state = app_state(request)
    now = utcnow()
    async with state.db.writing_session() as session:
        await sign_in.end_session(session, key_hash=who.key_hash, now=now)
        audit(
            session=session,
            actor=f"supporter:{who.supporter_id}",
            action=Action.account_signed_out,
            client_ip=_client(request),
            at=now,
        )
    response = RedirectResponse("/account", status_code=303)
    response.delete_cookie(sign_in.COOKIE, path="/")
    return response


# What the supporter gave


async def receipt(request: Request) -> Response:
    who = await _who(request)
    if who is None:
        return RedirectResponse("/account", status_code=303)
    payment = request.path_params["payment"]
    async with app_state(request).db.session() as session:
        gift = await overview.gift(session, who.supporter_id, payment)
    if gift is None:
        return _page(request, "message", {"message": "No such gift in your account."}, 404)
    return _page(request, "receipt", {"gift": gift, "who": who})


async def statement(request: Request) -> Response:
    who = await _who(request)
    if who is None:
        return RedirectResponse("/account", status_code=303)
    state = app_state(request)
    year = request.path_params["year"]
    async with state.db.session() as session:
        found = await statements.statement(session, state.settings, who.supporter_id, year)
    if found is None:
        return _page(request, "message", {"message": f"You gave nothing in {year}."}, 404)
    context = {
        "s": found,
        "newsroom": state.settings.NEWSROOM_NAME,
        "tax_wording": state.settings.RECEIPT_TAX_WORDING,
        "address": state.settings.NEWSROOM_ADDRESS,
    }
    return _page(request, "statement", context)


def _statement_years(state: AppState, seen: overview.Overview) -> list[int]:
    """The fiscal years (FISCAL_YEAR_START) the supporter gave in, newest first."""
    settings = state.settings
    zone = settings.report_zone
    years = {
        fiscal_year_of(gift.paid_at.astimezone(zone).date(), settings.fiscal_year_start)
        for gift in seen.gifts
    }
    return sorted(years, reverse=True)


# Changes to a membership


Change = Callable[[Request, AppState, Actor, Membership, dict[str, str]], Awaitable[Response]]


def _membership_change(change: Change) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint for a change to the signed-in supporter's own membership: the form is
    checked (_posted), the membership found and still changeable, and a refusal from Stripe
    (ChangeRefused) shown to the reader; `change` checks its own fields and asks Stripe."""

    async def endpoint(request: Request) -> Response:
        who, fields, refused = await _posted(request)
        if refused is not None:
            return refused
        assert who is not None
        state = app_state(request)
        async with state.db.session() as session:
            membership = await overview.own_membership(
                session, who.supporter_id, request.path_params["subscription"]
            )
        if membership is None:
            message = "No such membership in your account."
            return _page(request, "message", {"message": message}, 404)
        if membership.status not in overview.CHANGEABLE or membership.ended_at is not None:
            # Stripe refuses most changes to these; say so without asking it.
            return _refused(request, "This membership has ended and can no longer be changed.", 409)
        actor = Actor(who.supporter_id, _client(request))
        try:
            return await change(request, state, actor, membership, fields)
        except ChangeRefused as refused_by_stripe:
            return _refused(request, str(refused_by_stripe), 502)

    return endpoint


def _refused(request: Request, message: str, status_code: int) -> Response:
    return _page(request, "message", {"message": message, "back": True}, status_code)


def _done(what: str) -> Response:
    return RedirectResponse(f"/account?done={what}", status_code=303)


@_membership_change
async def change_amount(
    request: Request, state: AppState, actor: Actor, membership: Membership, fields: dict[str, str]
) -> Response:
    frequency = fields.get("frequency", "")
    if frequency not in (Frequency.monthly, Frequency.annual):
        return _refused(request, "Choose monthly or annual.", 422)
    try:
        wanted = validate_form(
            {"amount": fields.get("amount", ""), "currency": membership.currency,
             "frequency": frequency},
            ContributionRules.from_settings(state.settings),
        )  # fmt: skip
    except ContributionError as error:
        return _refused(request, error.message, 422)
    await changes.change_amount(
        state, actor, membership, amount=wanted.amount, frequency=wanted.frequency, now=utcnow()
    )
    return _done("amount")


@_membership_change
async def pause(
    request: Request, state: AppState, actor: Actor, membership: Membership, fields: dict[str, str]
) -> Response:
    months = fields.get("months", "")
    if not months.isdigit() or int(months) not in changes.PAUSE_MONTHS:
        return _refused(request, "A pause lasts 1, 2 or 3 months.", 422)
    await changes.pause(state, actor, membership, months=int(months), now=utcnow())
    return _done("pause")


@_membership_change
async def resume(
    request: Request, state: AppState, actor: Actor, membership: Membership, fields: dict[str, str]
) -> Response:
    await changes.resume(state, actor, membership, now=utcnow())
    return _done("resume")


@_membership_change
async def cancel(
    request: Request, state: AppState, actor: Actor, membership: Membership, fields: dict[str, str]
) -> Response:
    feedback = fields.get("feedback", "")
    if feedback not in changes.FEEDBACK:
        return _refused(request, "Please tell us why you are leaving.", 422)
    await changes.cancel(
        state, actor, membership, feedback=feedback, comment=fields.get("comment", ""), now=utcnow()
    )
    return _done("cancel")


@_membership_change
async def new_card(
    request: Request, state: AppState, actor: Actor, membership: Membership, fields: dict[str, str]
) -> Response:
    url = await cards.start(state, actor, membership, now=utcnow())
    return RedirectResponse(url, status_code=303)


async def card_done(request: Request) -> Response:
    who = await _who(request)
    if who is None:
        return RedirectResponse("/account", status_code=303)
    state = app_state(request)
    change = await cards.change_of_session(
        state, who.supporter_id, request.query_params.get("session_id", "")
    )
    if change is None:
        return _page(request, "message", {"message": "No such card change in your account."}, 404)
    try:
        await cards.finish(state, Actor(who.supporter_id, _client(request)), change, now=utcnow())
    except ChangeRefused as refused:
        return _refused(request, str(refused), 502)
    return _done("card")


# Giving monthly instead


async def monthly_page(request: Request) -> Response:
    state = app_state(request)
    signed = request.query_params.get("offer", "")
    found = offer.read(_key(state), signed, now=utcnow())
    if found is None:
        return _page(request, "message", {"message": "This offer has expired."}, 404)
    summary = describe(found.amount, found.currency, Frequency.monthly)
    return _page(request, "monthly", {"offer": signed, "summary": summary})


async def start_monthly(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    if not same_site(request, state.settings.SITE_URL):
        return _page(request, "message", {"message": CROSS_SITE}, 403)
    signed = form.get("offer")
    found = offer.read(_key(state), signed if isinstance(signed, str) else None, now=utcnow())
    if found is None:
        return _page(request, "message", {"message": "This offer has expired."}, 404)
    verdict = await state.checkout_limiter.hit(_client(request) or "unknown")
    if not verdict.allowed:
        return _page(request, "message", {"message": "Too many attempts; try again soon."}, 429)
    email = await _email_for(request, found)
    contribution = Contribution(
        amount=found.amount,
        currency=found.currency,
        frequency=Frequency.monthly,
        email=email,
        source=offer.SOURCE,
    )
    try:
        started = await service.start_checkout(state=state, contribution=contribution)
    except service.ProviderUnavailable:
        return _page(request, "message", {"message": changes.STRIPE_DOWN}, 502)
    if started.url is None:
        return _page(request, "message", {"message": changes.STRIPE_DOWN}, 502)
    return RedirectResponse(started.url, status_code=303)


async def _email_for(request: Request, found: offer.MonthlyOffer) -> str | None:
    """The email to prefill: the signed-in supporter's, else the one-off gift's."""
    who = await _who(request)
    if who is not None and who.email:
        return who.email
    if found.session_id is None:
        return None
    async with app_state(request).db.session() as session:
        query = select(Checkout.email).where(col(Checkout.stripe_session_id) == found.session_id)
        return (await session.exec(query)).first()


def monthly_offer_link(state: AppState, *, amount: int, currency: str, session_id: str) -> str:
    """For the thanks page after a one-off gift."""
    return offer.link(
        _key(state), amount=amount, currency=currency, session_id=session_id, now=utcnow()
    )


routes: list[BaseRoute] = [
    Route("/account", account, methods=["GET"]),
    Route("/account/link", ask_for_link, methods=["POST"]),
    Route("/account/sign-in", sign_in_page, methods=["GET"]),
    Route("/account/sign-in", use_link, methods=["POST"]),
    Route("/account/sign-out", sign_out, methods=["POST"]),
    Route("/account/receipts/{payment:int}", receipt, methods=["GET"]),
    Route("/account/statements/{year:int}", statement, methods=["GET"]),
    Route("/account/memberships/{subscription}/amount", change_amount, methods=["POST"]),
    Route("/account/memberships/{subscription}/pause", pause, methods=["POST"]),
    Route("/account/memberships/{subscription}/resume", resume, methods=["POST"]),
    Route("/account/memberships/{subscription}/cancel", cancel, methods=["POST"]),
    Route("/account/memberships/{subscription}/card", new_card, methods=["POST"]),
    Route("/account/card/done", card_done, methods=["GET"]),
    Route("/account/monthly", monthly_page, methods=["GET"]),
    Route("/account/monthly", start_monthly, methods=["POST"]),
]
