"""GET /admin/payouts: the payouts arriving in the page's days, each explained to the cent,
and every mismatch with the ledger; ?payout=po_... shows one payout line by line."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from donations.models import utcnow
from donations.models.base import STRIPE_ID_LENGTH
from donations.payouts import explained, mismatches
from donations.web.admin.auth import PageError, staff_only
from donations.web.admin.scope import page, page_scope

NO_PAYOUT = "no balance transactions stored for payout {payout!r}"


@staff_only
async def payouts(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    settings = scope.state.settings
    chosen = request.query_params.get("payout")
    async with scope.state.reports_db.session() as session:
        if chosen:
            items = await explained.payout_items(session=session, payout=chosen[:STRIPE_ID_LENGTH])
            if not items:
                raise PageError(404, NO_PAYOUT.format(payout=chosen[:STRIPE_ID_LENGTH]))
            return page(request, "payouts", who, scope, payout=chosen, items=items, ranged=False)
        rows = await explained.payout_rows(
            session=session, first_day=scope.first_day, last_day=scope.last_day
        )
        found = await mismatches.mismatches(
            session=session,
            rows=rows,
            first_day=scope.first_day,
            last_day=scope.last_day,
            timezone=scope.timezone,
            now=utcnow(),
            within_days=settings.PAYOUT_WITHIN_DAYS,
        )
    return page(request, "payouts", who, scope, rows=rows, mismatches=found)
