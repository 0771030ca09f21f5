"""GET /admin/api/progress: the whole progress JSON (the public API has a subset)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from donations.models import utcnow
from donations.reports.progress import campaign_progress
from donations.web.admin.auth import staff_only
from donations.web.admin.scope import page_scope, required_campaign


@staff_only
async def api_progress(request: Request, who: str) -> Response:
    """The campaign's whole progress figure, as `donations report progress --format json`."""
    scope = await page_scope(request, needs_campaign=True)
    async with scope.state.reports_db.session() as session:
        figures = await campaign_progress(
            session=session,
            campaign=required_campaign(scope),
            timezone=scope.timezone,
            now=utcnow(),
        )
    return JSONResponse(figures.as_json())
