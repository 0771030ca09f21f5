"""The dashboard's HTML pages: progress and pace, months, members, sources, funnel, recent
payments, snapshots; and the stylesheet (the CSP allows no inline style)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from donations import charts
from donations.models import utcnow
from donations.reports import funnel, period, recent, sources
from donations.reports.members import members_report
from donations.reports.pace import campaign_pace
from donations.reports.progress import campaign_progress
from donations.reports.snapshots import snapshot_history
from donations.reports.windows import Grain, buckets, iso_utc
from donations.web.admin.auth import staff_only
from donations.web.admin.scope import money_format, page, page_scope, ranged, required_campaign

RECENT_PAYMENTS = 50
TOP_SOURCES = 20
CSS = (Path(__file__).resolve().parents[2] / "templates" / "admin" / "admin.css").read_text()


@staff_only
async def overview(request: Request, who: str) -> Response:
    scope = await page_scope(request, needs_campaign=True)
    campaign = required_campaign(scope)
    async with scope.state.reports_db.session() as session:
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone=scope.timezone, now=utcnow()
        )
        pace = await campaign_pace(
            session=session, campaign=campaign, timezone=scope.timezone, today=scope.today
        )
    fmt = money_format(campaign.currency)
    last = pace[-1]
    chart = charts.line_chart(
        chart_id="pace",
        title=f"Cumulative net against the target's pace, {campaign.name}",
        description=(
            f"From {campaign.starts_on} to {last.label}: net raised {fmt(last.net)} against "
            f"{fmt(last.pace)} on a straight line to the target of {fmt(campaign.target)} "
            f"by {campaign.ends_on}."
        ),
        labels=[point.label for point in pace],
        series=[
            charts.Series("Net raised", [point.net for point in pace]),
            charts.Series("Pace to target", [point.pace for point in pace], dashed=True),
        ],
        fmt=fmt,
    )
    return page(request, "overview", who, scope, progress=progress.as_json(), chart=chart)


@staff_only
async def months(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    rows = await ranged(scope, period.period_report, grain=Grain.month)
    chart = None
    if scope.campaign is not None:
        currency = scope.campaign.currency
        mine = {row.period: row for row in rows if row.currency == currency}
        # Every month of the range, so that a month without money shows as a gap.
        labels = [
            bucket.label
            for bucket in buckets(scope.first_day, scope.last_day, Grain.month, scope.zone)
        ]
        one_off = [mine[label].one_off_amount if label in mine else 0 for label in labels]
        recurring = [mine[label].recurring_amount if label in mine else 0 for label in labels]
        fmt = money_format(currency)
        chart = charts.bar_chart(
            chart_id="months",
            title=f"One-off and recurring money by month ({currency.upper()})",
            description="; ".join(
                f"{label}: one-off {fmt(gift)}, recurring {fmt(member)}"
                for label, gift, member in zip(labels, one_off, recurring, strict=True)
            ),
            labels=labels,
            series=[charts.Series("One-off", one_off), charts.Series("Recurring", recurring)],
            fmt=fmt,
        )
    return page(request, "months", who, scope, rows=rows, chart=chart)


@staff_only
async def members(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    report = await ranged(scope, members_report)
    return page(request, "members", who, scope, report=report, summary=report.summary())


@staff_only
async def top_sources(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    rows = await ranged(scope, sources.sources_report, limit=TOP_SOURCES)
    return page(request, "sources", who, scope, rows=rows)


@staff_only
async def checkout_funnel(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    rows = await ranged(scope, funnel.funnel_report)
    return page(request, "funnel", who, scope, rows=rows)


@staff_only
async def payments(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    async with scope.state.reports_db.session() as session:
        rows = await recent.recent_payments(session=session, limit=RECENT_PAYMENTS)
    return page(request, "payments", who, scope, rows=rows, ranged=False)


@staff_only
async def snapshots(request: Request, who: str) -> Response:
    scope = await page_scope(request, needs_campaign=True)
    campaign = required_campaign(scope)
    async with scope.state.reports_db.session() as session:
        history = await snapshot_history(session=session, campaign=campaign)
    fmt = money_format(campaign.currency)
    chart = None
    if history:
        chart = charts.line_chart(
            chart_id="snapshots",
            title=f"Net raised at each snapshot, {campaign.name}",
            description=(
                f"{len(history)} snapshots from {iso_utc(history[0].taken_at)} to "
                f"{iso_utc(history[-1].taken_at)}; latest net {fmt(history[-1].net)}."
            ),
            labels=[snapshot.taken_at.strftime("%m-%d %H:%M") for snapshot in history],
            series=[charts.Series("Net raised", [snapshot.net for snapshot in history])],
            fmt=fmt,
        )
    return page(request, "snapshots", who, scope, history=history, chart=chart, ranged=False)


async def stylesheet(request: Request) -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})
