"""GET /admin/export/{report}.csv: every report as CSV, streamed from the reports database;
each download is audited before it starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from donations.models import Campaign, utcnow
from donations.reports import export, funnel, period, recent, sources
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.reports.members import MONEY_COLUMNS as MEMBER_MONEY
from donations.reports.members import members_report
from donations.reports.progress import FIGURE_COLUMNS, campaign_progress, figure_rows
from donations.reports.windows import Grain, ReportInputError, checked_grain
from donations.staff import Action, audit
from donations.web.admin.auth import PageError, client_ip, staff_only
from donations.web.admin.scope import Scope, page_scope, required_campaign

_UNKNOWN_REPORT = "no report {name!r}; one of: {names}"


async def _dicts(rows: AsyncIterator[Any]) -> AsyncIterator[dict[str, Any]]:
    async for row in rows:
        yield row.as_json()


async def _progress_rows(
    scope: Scope, campaign: Campaign, session: AsyncSession
) -> AsyncIterator[dict[str, Any]]:
    figures = await campaign_progress(
        session=session, campaign=campaign, timezone=scope.timezone, now=utcnow()
    )
    for row in figure_rows(figures.as_json()):
        yield row


async def _member_rows(scope: Scope, session: AsyncSession) -> AsyncIterator[dict[str, Any]]:
    report = await members_report(session=session, **scope.range())
    for row in report.rows:
        yield row.as_json()


Export = tuple[tuple[str, ...], frozenset[str], AsyncIterator[dict[str, Any]]]


def _export_rows(name: str, scope: Scope, grain: Grain | None, session: AsyncSession) -> Export:
    """(columns, money columns, rows as they come): the cursor's rows for the long reports, a
    few aggregate rows computed in one go for progress and members. `grain` is the period
    export's ?by=, None for the others. Progress rows carry their money in major units already."""
    if name == "progress":
        rows = _progress_rows(scope, required_campaign(scope), session)
        return FIGURE_COLUMNS, frozenset(), rows
    if name == "members":
        return MEMBER_COLUMNS, MEMBER_MONEY, _member_rows(scope, session)
    if name == "funnel":
        rows = _dicts(funnel.stream_funnel(session=session, **scope.range()))
        return funnel.COLUMNS, funnel.MONEY_COLUMNS, rows
    if name == "period":
        assert grain is not None, "export_csv checks ?by= for the period export"
        rows = _dicts(period.stream_period(session=session, grain=grain, **scope.range()))
        return period.COLUMNS, period.MONEY_COLUMNS, rows
    if name == "sources":
        rows = _dicts(sources.stream_sources(session=session, **scope.range()))
        return sources.COLUMNS, sources.MONEY_COLUMNS, rows
    # Every payment of the range, not the dashboard's recent few.
    rows = _dicts(recent.stream_payments(session=session, **scope.range()))
    return recent.COLUMNS, recent.MONEY_COLUMNS, rows


def _period_grain(request: Request, scope: Scope) -> Grain:
    """The period export's ?by= (default month), checked before the download starts: a bad
    value, or one that cuts the range into too many buckets, is a 400 with the reason, not a
    file broken halfway."""
    by = request.query_params.get("by", Grain.month.value)
    try:
        return checked_grain(by, scope.first_day, scope.last_day, scope.zone, option="by")
    except ReportInputError as error:
        raise PageError(400, str(error)) from None


EXPORTS = ("progress", "period", "members", "sources", "funnel", "payments")


@staff_only
async def export_csv(request: Request, who: str) -> Response:
    name = request.path_params["report"]
    if name not in EXPORTS:
        raise PageError(404, _UNKNOWN_REPORT.format(name=name, names=", ".join(EXPORTS)))
    scope = await page_scope(request, needs_campaign=name == "progress")
    # Only the period export is cut by day, week or month: the others never read ?by=, so a
    # stray one (a link copied from the period export) must not refuse their download.
    grain = _period_grain(request, scope) if name == "period" else None
    detail = f"{name} {scope.query()}" + (f"&by={grain}" if grain is not None else "")
    async with scope.state.db.writing_session() as session:
        audit(
            session=session,
            actor=who,
            action=Action.export,
            detail=detail,
            client_ip=client_ip(request),
            at=utcnow(),
        )
    filename = f"{name}-{scope.first_day}-{scope.last_day}.csv"

    async def lines() -> AsyncIterator[str]:
        async with scope.state.reports_db.session() as session:
            columns, money_columns, rows = _export_rows(name, scope, grain, session)
            async for line in export.csv_lines(columns, rows, money_columns=money_columns):
                yield line

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
