"""The reader's side (docs/architecture.md, "A reader's request").

    GET  /contribute                 the form; ?frequency= preselects one, ?source= is the
                                     placement (its offer, and recorded), ?campaign=,
                                     ?utm_source= … ?utm_term= are carried to Checkout, as is
                                     the page the reader came from; ?cancelled=1 says that no
                                     payment was taken
    POST /contribute                 303 to Stripe Checkout, or the form again with errors
    POST /api/checkout-sessions      JSON: 201 {"id", "url"}; 422 {"error": {code, message, field}}
    GET  /contribute/thanks          ?session_id=cs_...: what was given, and whether it is
                                     paid, being confirmed, processing (a bank debit) or
                                     failed; 404 if unknown; a plain thank-you once
                                     THANKS_LOOKUPS is spent
    POST /membership/portal          303 to Stripe's billing portal, or to how to get there
    GET  /membership                 how to manage a membership without a recent checkout

Both ways of starting a checkout are rate limited per client address (429, Retry-After);
Stripe failing is a 502 (503 when worth retrying soon) and never a half-written row.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from donations.checkout import service
from donations.checkout.cover import FeeCover
from donations.checkout.metadata import ATTRIBUTION
from donations.checkout.rules import (
    MAX_SOURCE_LENGTH,
    MAX_TEXT_LENGTHS,
    Contribution,
    ContributionError,
    ContributionRules,
    check_idempotency_key,
    describe,
    error_body,
    validate_form,
    validate_json,
)
from donations.models import Frequency
from donations.money import exponent, format_amount, to_minor
from donations.offers import PageOffer, offer_for, settings_offer
from donations.reports.live import current_progress
from donations.state import AppState, app_state
from donations.web import account
from donations.web.csrf import same_site
from donations.web.templates import templates

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The JSON API's body is a handful of fields; anything bigger is not a contribution.
MAX_JSON_BODY = 16 * 1024
# Sessions we open a billing portal for: the reader has just finished checkout.
PORTAL_WINDOW = timedelta(hours=1)
# Stripe lookups for thanks links we know nothing of (a Payment Link's session before its
# webhook), across all worker processes. Past it, the reader gets a thank-you without the
# amount: a stream of made-up ids must not spend the Stripe API's rate limit on our account.

FREQUENCY_LABELS = {
    Frequency.one_off: "One-off",
    Frequency.monthly: "Monthly",
    Frequency.annual: "Annual",
}
PROVIDER_DOWN = (
    "We could not reach our payment provider, and nothing was charged. "
    "Please try again in a minute."
)
TOO_MANY = "Too many attempts from your connection. Please try again in {seconds} seconds."
# What is left of "€0.00" without its number: the currency's symbol, beside the amount field.
_NOT_A_SYMBOL = re.compile(r"[\d.,\s\u00a0]")
CROSS_SITE = "This form can only be sent from our own pages."


# What a link to the page carries on to Checkout, cut to what the form accepts back.
CARRIED = {"source": MAX_SOURCE_LENGTH, "campaign": 64, **MAX_TEXT_LENGTHS}
CARRIED_FROM_LINK = ("source", "campaign", *(name for name in ATTRIBUTION if name != "referrer"))


async def contribute_page(request: Request) -> Response:
    # _form falls back to the offer's default for a frequency it does not know.
    query = request.query_params
    fields = {name: query.get(name, "")[: CARRIED[name]] for name in CARRIED_FROM_LINK}
    fields["frequency"] = query.get("frequency", "")
    fields["referrer"] = _referrer(request, app_state(request).settings.SITE_URL)
    cancelled = query.get("cancelled") == "1"
    return await _form(request, fields=fields, cancelled=cancelled)


def _referrer(request: Request, site_url: str) -> str:
    """The page the reader came from, if it is not one of ours (browsers send the origin
    alone across sites, by default: https://developer.mozilla.org/docs/Web/HTTP/Headers/Referrer-Policy)."""
    referer = request.headers.get("referer", "")
    if not referer.startswith(("https://", "http://")) or referer.startswith(site_url + "/"):
        return ""
    return referer[: CARRIED["referrer"]]


async def contribute(request: Request) -> Response:
    state = app_state(request)
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if not same_site(request, state.settings.SITE_URL):
        return await _form(request, fields=fields, notice=CROSS_SITE, status_code=403)
    offer = await _offer(state, fields.get("campaign"), fields.get("source"))
    try:
        rules = ContributionRules.from_settings(state.settings, offer.minimums)
        contribution = validate_form(fields, rules)
    except ContributionError as error:
        field = error.field or "form"
        return await _form(
            request, fields=fields, errors={field: error.message}, status_code=422, offer=offer
        )
    verdict = await state.checkout_limiter.hit(_client(request))
    if not verdict.allowed:
        notice = TOO_MANY.format(seconds=verdict.retry_after)
        response = await _form(request, fields=fields, notice=notice, status_code=429, offer=offer)
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        started = await service.start_checkout(state=state, contribution=contribution)
    except service.ProviderUnavailable as error:
        status = 503 if error.temporary else 502
        return await _form(
            request, fields=fields, notice=PROVIDER_DOWN, status_code=status, offer=offer
        )
    if started.url is None:
        return await _form(
            request, fields=fields, notice=PROVIDER_DOWN, status_code=502, offer=offer
        )
    return RedirectResponse(started.url, status_code=303)


async def create_session(request: Request) -> Response:
    state = app_state(request)
    try:
        body = await _json_body(request)
        key = request.headers.get("idempotency-key")
        key = check_idempotency_key(key) if key is not None else None
        offer = await _offer(state, *_offer_asked(body))
        rules = ContributionRules.from_settings(state.settings, offer.minimums)
        contribution = validate_json(body, rules)
    except ContributionError as error:
        return JSONResponse(error.as_json(), status_code=422)
    verdict = await state.checkout_limiter.hit(_client(request))
    if not verdict.allowed:
        message = TOO_MANY.format(seconds=verdict.retry_after)
        return _api_error(
            "rate_limited", message, 429, headers={"Retry-After": str(verdict.retry_after)}
        )
    return await _start(state, contribution, key)


async def _start(state: AppState, contribution: Contribution, key: str | None) -> Response:
    try:
        started = await service.start_checkout(
            state=state, contribution=contribution, idempotency_key=key
        )
    except service.IdempotencyConflict as error:
        status = 409 if error.code == service.KEY_IN_FLIGHT else 422
        return _api_error(error.code, error.message, status)
    except service.ProviderUnavailable as error:
        status = 503 if error.temporary else 502
        return _api_error("payment_provider_unavailable", PROVIDER_DOWN, status)
    answer = {
        "id": started.session_id,
        "url": started.url,
        "amount": contribution.amount,
        "fee_covered": contribution.choices.fee_covered,
    }
    return JSONResponse(answer, status_code=201)


def _offer_asked(body: object) -> tuple[str | None, str | None]:
    """The campaign and placement a JSON body names, if any (validate_json checks the rest)."""
    if not isinstance(body, dict):
        return None, None
    campaign, source = body.get("campaign"), body.get("source")
    return (
        campaign if isinstance(campaign, str) and campaign else None,
        source if isinstance(source, str) and source else None,
    )


async def _offer(state: AppState, campaign: str | None, placement: str | None) -> PageOffer:
    """The campaign's offer at this placement. A database that does not answer is the
    request's 503 (donations/web/limits.py): no checkout could be written either."""
    placement = (placement or "").strip()[:MAX_SOURCE_LENGTH] or None
    campaign = (campaign or "").strip()[:64] or None
    remembered: PageOffer | None = state.offers.get((campaign, placement))
    if remembered is not None:
        return remembered
    async with state.db.session() as session:
        found = await offer_for(
            session, settings=state.settings, campaign=campaign, placement=placement
        )
    if found.campaign is None and campaign is not None:
        # An unknown campaign in a link: today's campaign's offer, not an error page.
        found = await _offer(state, None, placement)
    state.offers.put((campaign, placement), found)
    return found


async def thanks(request: Request) -> Response:
    state = app_state(request)
    session_id = request.query_params.get("session_id", "")
    try:
        given = await service.find_given(state=state, session_id=session_id)
        if given is None and service.SESSION_ID.match(session_id):
            # Not ours, nor known from a webhook yet: Stripe knows, but anyone can send an id.
            if not await state.thanks_lookups.take():
                return templates.TemplateResponse(request, "contribute/thanks.html", {})
            given = await service.find_given_at_stripe(state=state, session_id=session_id)
    except stripe.StripeError:
        logger.warning("thanks page: Stripe unavailable", exc_info=True)
        return templates.TemplateResponse(
            request, "contribute/unavailable.html", {"message": PROVIDER_DOWN}, status_code=503
        )
    if given is None:
        return templates.TemplateResponse(request, "contribute/not_found.html", status_code=404)
    context = {
        "given": given,
        "summary": describe(given.amount, given.currency, given.frequency),
        "membership": given.frequency != Frequency.one_off.value,
        "monthly_offer": _monthly_offer(state, given),
        "progress_state": given.progress.value,
        "fee_covered": (
            format_amount(given.fee_covered, given.currency) if given.fee_covered else None
        ),
    }
    return templates.TemplateResponse(request, "contribute/thanks.html", context)


def _monthly_offer(state: AppState, given: service.Given) -> dict[str, str] | None:
    """After a one-off gift: the same amount every month, a signed link (web/account.py).
    Not after a payment that failed: the reader has just been told nothing was taken."""
    if given.frequency != Frequency.one_off.value or given.progress == service.Progress.failed:
        return None
    link = account.monthly_offer_link(
        state, amount=given.amount, currency=given.currency, session_id=given.session_id
    )
    return {"link": link, "summary": describe(given.amount, given.currency, Frequency.monthly)}


async def membership_portal(request: Request) -> Response:
    state = app_state(request)
    settings = state.settings
    if not same_site(request, settings.SITE_URL):
        return templates.TemplateResponse(
            request, "contribute/membership.html", {"notice": CROSS_SITE}, status_code=403
        )
    form = await request.form()
    session_id = form.get("session_id")
    if isinstance(session_id, str):
        url = await service.portal_url(
            state=state,
            session_id=session_id,
            window=PORTAL_WINDOW,
            return_url=settings.SITE_URL + "/contribute",
        )
        if url is not None:
            return RedirectResponse(url, status_code=303)
    fallback = settings.STRIPE_PORTAL_LOGIN_URL or settings.SITE_URL + "/membership"
    return RedirectResponse(fallback, status_code=303)


async def membership(request: Request) -> Response:
    login_url = app_state(request).settings.STRIPE_PORTAL_LOGIN_URL
    return templates.TemplateResponse(
        request, "contribute/membership.html", {"login_url": login_url}
    )


async def _form(
    request: Request,
    *,
    fields: dict[str, str],
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    cancelled: bool = False,
    status_code: int = 200,
    offer: PageOffer | None = None,
) -> Response:
    state = app_state(request)
    settings = state.settings
    if offer is None:
        offer = await _page_offer(state, fields.get("campaign"), fields.get("source"))
    frequency = fields.get("frequency", "")
    if frequency not in Frequency.__members__:
        frequency = offer.default_frequency.value
    currency = fields.get("currency") or settings.DEFAULT_CURRENCY
    if currency not in settings.CURRENCIES:
        currency = settings.DEFAULT_CURRENCY
    cover = FeeCover(settings.FEE_COVER_PERCENT, settings.FEE_COVER_FIXED)
    amounts = _amounts(offer, fields, currency)
    chosen = next((each for each in amounts[frequency] if each["checked"]), None)
    context: dict[str, Any] = {
        "fields": fields,
        "errors": errors or {},
        "notice": notice,
        "cancelled": cancelled,
        "frequency": frequency,
        "frequencies": FREQUENCY_LABELS,
        "currency": currency,
        "currencies": settings.CURRENCIES,
        "amounts": amounts,
        "carried": [name for name in CARRIED if name not in ("tribute_name", "reason")],
        "fee": {
            "offered": cover.offered,
            "rule": cover.describe(currency),
            "for_chosen": (
                format_amount(cover.fee(chosen["minor"], currency), currency) if chosen else None
            ),
            "percent": str(cover.percent),
            "fixed_minor": to_minor(cover.fixed, currency),
        },
        "exponent": exponent(currency),
        "symbol": _NOT_A_SYMBOL.sub("", format_amount(0, currency)),
        "progress": await _progress(state),
    }
    return templates.TemplateResponse(
        request, "contribute/form.html", context, status_code=status_code
    )


async def _page_offer(state: AppState, campaign: str | None, placement: str | None) -> PageOffer:
    """The form is shown even when the database is not answering (as the progress bar is
    left out): with the settings' offer."""
    try:
        return await _offer(state, campaign, placement)
    except Exception as error:
        logger.warning("campaign offer unavailable, the settings' offer shown: %r", error)
        return settings_offer(state.settings, placement)


def _amounts(
    offer: PageOffer, fields: dict[str, str], currency: str
) -> dict[str, list[dict[str, Any]]]:
    """Per frequency, the suggested amounts as radio buttons: one checked, the reader's
    own choice if the form comes back, else the offer's preselected one."""
    typed = bool(fields.get("custom_amount", "").strip())
    shown: dict[str, list[dict[str, Any]]] = {}
    for frequency in Frequency:
        offered = offer.suggestions.get(currency, {}).get(frequency, ())
        sent = fields.get(f"amount_{frequency.value}") or (
            fields.get("amount") if fields.get("frequency") == frequency.value else None
        )
        shown[frequency.value] = [
            {
                "value": each.text,
                "label": format_amount(each.amount, currency),
                "minor": each.amount,
                "checked": not typed and (each.text == sent if sent else each.preselected),
            }
            for each in offered
        ]
    return shown


async def _progress(state: AppState) -> dict[str, Any] | None:
    # The bar is encouragement, not the page: a reporting fault must not stop a gift.
    try:
        return await current_progress(state)
    except Exception:
        logger.exception("progress unavailable for the contribute page")
        return None


async def _json_body(request: Request) -> object:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ContributionError(
            "invalid_json", "Send the contribution as Content-Type: application/json.", None
        )
    # Read no further than the limit: a body streamed without Content-Length included.
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BODY:
            raise ContributionError("invalid_json", "The request body is too large.", None)
    try:
        return json.loads(body)
    # Nesting deeper than Python's recursion limit ("[[[[..."): not JSON we could read.
    except (ValueError, RecursionError):
        raise ContributionError(
            "invalid_json", "The request body is not valid JSON.", None
        ) from None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _api_error(
    code: str, message: str, status: int, *, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, None), status_code=status, headers=headers)


routes: list[BaseRoute] = [
    Route("/contribute", contribute_page, methods=["GET"]),
    Route("/contribute", contribute, methods=["POST"]),
    Route("/contribute/thanks", thanks, methods=["GET"]),
    Route("/api/checkout-sessions", create_session, methods=["POST"]),
    Route("/membership/portal", membership_portal, methods=["POST"]),
    Route("/membership", membership, methods=["GET"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]
