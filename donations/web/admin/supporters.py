"""GET /admin/supporters: one supporter, found by email (?email=) or by id (the payments
list links to /admin/supporters/{id}): everything they gave, what became of each payment,
and their memberships. Every page shown is a row in the audit log (the supporter's id, not
their email: the log keeps no one's address)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

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
from donations.web.admin import stripe_links
from donations.web.admin.auth import PageError, client_ip, staff_only
from donations.web.admin.scope import Scope, page, page_scope

_NOBODY = "no supporter with that email"
_NO_ID = "no supporter {id}"
_BAD_ID = "a supporter's id is a whole number, not {value!r}"


@staff_only
async def find_supporter(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    typed = request.query_params.get("email", "").strip()
    if not typed:
        return page(request, "supporters", who, scope, history=None, email="", ranged=False)
    try:
        email = check_email(typed)
    except ReportInputError as error:
        raise PageError(400, str(error)) from None
    async with scope.state.reports_db.session() as session:
        found = await find_by_email(session=session, email=email)
    if found is None:
        raise PageError(404, _NOBODY)
    return await _show(request, who, scope, found, email=email)


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
