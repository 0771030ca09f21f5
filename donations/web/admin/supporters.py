"""/admin/supporters: one supporter, found by email or by id (the payments list links to
/admin/supporters/{id}): everything they gave, what became of each payment, and their
memberships. Every page shown is a row in the audit log (the supporter's id, not their email:
the log keeps no one's address).

    GET  /admin/supporters           the form
    POST /admin/supporters           email=...: the supporter's page (from our own pages only)
    GET  /admin/supporters?email=... an old link or bookmark: 303 to /admin/supporters/{id}
    GET  /admin/supporters/{id}      the supporter's page

The email is posted, never put in the address: an address lands in the proxy's access log,
the browser's history and the Referer of the next request. An address already in one is not
taken back by refusing it, so an old link still leads to the page, through a redirect that
leaves the address out of what the browser shows and keeps; the form never makes one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from donations.models import utcnow
from donations.reports.fiscal import fiscal_year_of
from donations.reports.supporter_history import (
    SupporterHistory,
    check_email,
    find_by_email,
    supporter_history,
)
from donations.reports.windows import ReportInputError
from donations.staff import Action, audit
from donations.state import app_state
from donations.web.admin import stripe_links
from donations.web.admin.auth import PageError, client_ip, staff_only
from donations.web.admin.scope import Scope, page, page_scope
from donations.web.csrf import same_site

_NOBODY = "no supporter with that email"
_NO_EMAIL = "type the supporter's email"
_CROSS_SITE = "the supporter form can only be sent from this site's own pages"
_NO_ID = "no supporter {id}"
_BAD_ID = "a supporter's id is a whole number, not {value!r}"


@staff_only
async def find_supporter(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    typed = request.query_params.get("email", "")
    if typed.strip():
        found, _ = await _found(scope, typed)
        # The page it leads to is audited (by id) as it is shown.
        return RedirectResponse(f"/admin/supporters/{found}", status_code=303)
    return page(request, "supporters", who, scope, history=None, email="", ranged=False)


@staff_only
async def look_up_supporter(request: Request, who: str) -> Response:
    if not same_site(request, app_state(request).settings.SITE_URL):
        raise PageError(403, _CROSS_SITE)
    scope = await page_scope(request)
    form = await request.form()
    typed = form.get("email")
    if not isinstance(typed, str) or not typed.strip():
        raise PageError(400, _NO_EMAIL)
    found, email = await _found(scope, typed)
    return await _show(request, who, scope, found, email=email)


async def _found(scope: Scope, typed: str) -> tuple[int, str]:
    """(the supporter's id, their email) for the email staff typed, in any case; a PageError
    that does not repeat what was typed when it is no address, or nobody's."""
    try:
        email = check_email(typed)
    except ReportInputError as error:
        raise PageError(400, str(error)) from None
    async with scope.state.reports_db.session() as session:
        found = await find_by_email(session=session, email=email)
    if found is None:
        raise PageError(404, _NOBODY)
    return found, email


@staff_only
async def one_supporter(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    text = request.path_params["supporter"]
    if not text.isdigit() or len(text) > 18:
        raise PageError(400, _BAD_ID.format(value=text[:20]))
    return await _show(request, who, scope, int(text), email="")


async def _show(request: Request, who: str, scope: Scope, found: int, *, email: str) -> Response:
    async with scope.state.reports_db.session() as session:
        history = await supporter_history(
            session=session, supporter_id=found, timezone=scope.timezone
        )
    if history is None:
        raise PageError(404, _NO_ID.format(id=found))
    async with scope.state.db.writing_session() as session:
        audit(
            session=session,
            actor=who,
            action=Action.supporter_viewed,
            detail=f"supporter {history.id}" + (" found by email" if email else ""),
            client_ip=client_ip(request),
            at=utcnow(),
        )
    return page(
        request,
        "supporters",
        who,
        scope,
        history=history,
        email=email,
        links=_links(scope, history),
        statement_years=_statement_years(scope, history),
        dashboard=stripe_links.dashboard_base(scope.state.settings),
        ranged=False,
    )


def _statement_years(scope: Scope, history: SupporterHistory) -> list[int]:
    """The fiscal years they gave in, newest first, each named by the year it ends in (as
    /admin/supporters/{id}/statement/{year} names it)."""
    start = scope.state.settings.fiscal_year_start
    years = {
        fiscal_year_of(row.paid_at.astimezone(scope.zone).date(), start) for row in history.payments
    }
    return sorted(years, reverse=True)


def _links(scope: Scope, history: SupporterHistory) -> dict[int, str | None]:
    base = stripe_links.dashboard_base(scope.state.settings)
    return {
        row.id: stripe_links.payment_url(
            base, payment_intent=row.payment_intent, charge=row.charge, invoice=row.invoice
        )
        for row in history.payments
    }
