"""Hosted pages: the checkout page a session's `url` opens, and the billing portal.

    GET  /c/pay/{id}        amount, frequency, email, name, test payment methods; Pay, Cancel
                            (setup mode: no amount, a "Save" button)
    POST /c/pay/{id}        form: email, name, card -> 303 to success_url, or the decline
    GET  /p/session/{id}    a customer's memberships with "Cancel membership now" and
                            "Cancel at period end"; the card on file and a form for a new
                            one; a link back to return_url
    POST /p/session/{id}/cancel   form: subscription, when=now|period_end -> 303 to the page
    POST /p/session/{id}/payment_method   form: card -> 303 to the flow's redirect or the page
    GET  /receipts/{id}, /i/{id}  minimal receipt and hosted invoice pages

Server-rendered, no scripts or external assets, every field labelled, stable names and ids
for browser tests: input#email[name=email], input#name[name=name], radios name=card with
id card-<number>, a "Pay" button, a "Cancel" link (when the session has a cancel_url).
Links and form actions are built from config.public_url, so they work under a mount prefix.
"""

from __future__ import annotations

import datetime
import urllib.parse
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from stripe_emulator import billing, cards, changes, checkout, customers, portal
from stripe_emulator.errors import StripeError
from stripe_emulator.money import format_amount
from stripe_emulator.state import Json, Store

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("stripe_emulator", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
UNKNOWN_CARD = "Your card number is incorrect."
NEED_EMAIL = "Enter your email address."
METHOD_SAVED = "Your payment method has been updated."


def frequency(price: Json | None) -> str:
    """ "One-off", "Monthly", "Annual", or "Every 2 weeks" for a (recurring) price."""
    if price is None or price.get("recurring") is None:
        return "One-off"
    recurring = price["recurring"]
    interval, count = recurring["interval"], recurring.get("interval_count", 1)
    if count == 1:
        return {"day": "Daily", "week": "Weekly", "month": "Monthly", "year": "Annual"}[interval]
    return f"Every {count} {interval}s"


def _date(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%-d %b %Y")


_ENV.filters["money"] = lambda amount, currency: format_amount(int(amount), str(currency))
_ENV.filters["date"] = _date


def _render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**context), status)


def routes(store: Store) -> list[Route]:
    base = store.config.public_url

    def checkout_page(
        session: Json, *, error: str | None = None, form: Json | None = None, status: int = 200
    ) -> Response:
        record = store.sessions[session["id"]]
        return _render(
            "checkout.html",
            status,
            session=session,
            items=record.line_items,
            frequency=frequency(record.price),
            methods=cards.TEST_METHODS,
            action=f"{base}/c/pay/{session['id']}",
            error=error,
            form={
                # Stripe's page shows an existing customer's email (a setup-mode session for
                # a new card, a returning member), else the one the session was created with.
                "email": session["customer_email"] or _customer_email(store, session),
                "name": "",
                "card": cards.TEST_METHODS[0].number,
                **(form or {}),
            },
        )

    def open_session(request: Request) -> Json | Response:
        """The open session the URL names, or the page to show instead."""
        session = _session(store, request.path_params["id"])
        if session is None:
            return _render("gone.html", 404, title="Checkout session not found")
        if session["status"] != "open":
            return _render("closed.html", session=session)
        return session

    async def show_checkout(request: Request) -> Response:
        with store.lock:
            session = open_session(request)
            return session if isinstance(session, Response) else checkout_page(session)

    async def submit_checkout(request: Request) -> Response:
        form = await _form(request)
        with store.lock:
            session = open_session(request)
            if isinstance(session, Response):
                return session
            method = cards.lookup(form.get("card", ""))
            email = form.get("email", "").strip()
            if not email:
                return checkout_page(session, error=NEED_EMAIL, form=form, status=400)
            if method is None:
                return checkout_page(session, error=UNKNOWN_CARD, form=form, status=402)
            result = checkout.pay(store, session["id"], method, email, form.get("name") or None)
            if result.redirect is None:
                return checkout_page(session, error=result.error, form=form, status=402)
            return RedirectResponse(result.redirect, 303)

    async def show_portal(request: Request) -> Response:
        with store.lock:
            try:
                session, customer, subs = portal.memberships(store, request.path_params["id"])
            except StripeError:
                return _render("gone.html", 404, title="Portal session not found")
            return _render(
                "portal.html",
                session=session,
                customer=customer,
                subscriptions=[_membership(s) for s in subs],
                action=f"{base}/p/session/{session['id']}/cancel",
                method_action=f"{base}/p/session/{session['id']}/payment_method",
                methods=cards.TEST_METHODS,
                current_method=_method_label(store, customer, subs),
                notice=request.query_params.get("notice"),
            )

    async def cancel(request: Request) -> Response:
        form = await _form(request)
        with store.lock:
            try:
                session, _, subs = portal.memberships(store, request.path_params["id"])
            except StripeError:
                return _render("gone.html", 404, title="Portal session not found")
            owned = {s["id"] for s in subs}
            sub_id = form.get("subscription", "")
            if sub_id not in owned:
                return _render("gone.html", 404, title="Membership not found")
            try:
                if form.get("when") == "period_end":
                    changes.cancel_at_period_end(store, sub_id, True)
                    notice = "Your membership will end at the end of the period."
                else:
                    billing.cancel_now(store, sub_id)
                    notice = "Your membership has been cancelled."
            except StripeError as error:
                notice = error.message
        query = urllib.parse.urlencode({"notice": notice})
        return RedirectResponse(f"{base}/p/session/{session['id']}?{query}", 303)

    async def update_method(request: Request) -> Response:
        form = await _form(request)
        method = cards.lookup(form.get("card", ""))
        with store.lock:
            try:
                session, _, _ = portal.memberships(store, request.path_params["id"])
            except StripeError:
                return _render("gone.html", 404, title="Portal session not found")
            if method is None:
                notice = UNKNOWN_CARD
            else:
                redirect = portal.update_payment_method(store, session["id"], method)
                if redirect is not None:
                    return RedirectResponse(redirect, 303)
                notice = METHOD_SAVED
        query = urllib.parse.urlencode({"notice": notice})
        return RedirectResponse(f"{base}/p/session/{session['id']}?{query}", 303)

    async def receipt(request: Request) -> Response:
        with store.lock:
            obj = store.objects.get(request.path_params["id"])
            if obj is None or obj["object"] not in ("charge", "invoice"):
                return _render("gone.html", 404, title="Not found")
            return _render("receipt.html", obj=obj)

    return [
        Route("/c/pay/{id}", show_checkout, methods=["GET"]),
        Route("/c/pay/{id}", submit_checkout, methods=["POST"]),
        Route("/p/session/{id}", show_portal, methods=["GET"]),
        Route("/p/session/{id}/cancel", cancel, methods=["POST"]),
        Route("/p/session/{id}/payment_method", update_method, methods=["POST"]),
        Route("/receipts/{id}", receipt, methods=["GET"]),
        Route("/i/{id}", receipt, methods=["GET"]),
        Route("/i/{id}/pdf", receipt, methods=["GET"]),
    ]


def _session(store: Store, session_id: str) -> Json | None:
    obj = store.objects.get(session_id)
    return obj if obj is not None and obj["object"] == "checkout.session" else None


def _method_label(store: Store, customer: Json, subs: list[Json]) -> str | None:
    """ "Visa •••• 4242": the card the next renewal charges, else the customer's default."""
    active = [s for s in subs if s["status"] != "canceled"]
    chosen = (
        customers.default_method(store, active[0])
        if active
        else customer["invoice_settings"]["default_payment_method"]
    )
    method = store.methods.get(chosen or "")
    if method is None:
        return None
    return f"{method.brand_name} •••• {method.last4}"


def _membership(sub: Json) -> Json:
    item = sub["items"]["data"][0]
    price = item["price"]
    return {
        "id": sub["id"],
        "status": sub["status"],
        "amount": price["unit_amount"] * item["quantity"],
        "currency": price["currency"],
        "frequency": frequency(price),
        "period_end": item["current_period_end"],
        "cancel_at_period_end": sub["cancel_at_period_end"],
        "ended_at": sub["ended_at"],
        "cancellable": sub["status"] not in ("canceled", "incomplete_expired"),
    }


async def _form(request: Request) -> dict[str, str]:
    raw = (await request.body()).decode(errors="replace")
    return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))


def _customer_email(store: Store, session: Json) -> str:
    customer = store.objects.get(session.get("customer") or "")
    return str(customer.get("email") or "") if customer is not None else ""
