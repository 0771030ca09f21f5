"""The dashboard's HTML pages: progress and pace, months, members, sources, funnel, recent
payments, snapshots; and the stylesheet (the CSP allows no inline style)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from donations import charts
from donations.models import utcnow
from donations.reports import funnel, payment_list, period, sources
from donations.reports.members import members_report
from donations.reports.pace import campaign_pace
from donations.reports.payment_list import Cursor, PaymentFilter, PaymentStatus
from donations.reports.progress import campaign_progress
from donations.reports.snapshots import snapshot_history
from donations.reports.windows import Grain, ReportInputError, buckets, iso_utc
from donations.web.admin import stripe_links
from donations.web.admin.auth import PageError, staff_only
from donations.web.admin.scope import (
    Scope,
    money_format,
    page,
    page_scope,
    ranged,
    required_campaign,
)

PAYMENTS_PAGE = 50
_BAD_SIZE = "size must be a whole number from 1 to {most}, not {value!r}"
_BOTH_CURSORS = "ask for the page after a payment or before one, not both"
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
    # The line starts at 0 on the campaign's first day; each point is the running total at
    # the end of its day or week, labelled with that last day (not the week's Monday, which
    # may come before the campaign began).
    labels = [str(campaign.starts_on)] + [
        str(min(_last_day(point.end, scope.zone), campaign.ends_on)) for point in pace
    ]
    chart = charts.line_chart(
        chart_id="pace",
        title=f"Cumulative net against the target's pace, {campaign.name}",
        description=(
            f"From {campaign.starts_on} to {labels[-1]}: net raised {fmt(last.net)} against "
            f"{fmt(last.pace)} on a straight line to the target of {fmt(campaign.target)} "
            f"by {campaign.ends_on}."
        ),
        labels=labels,
        series=[
            charts.Series("Net raised", [0] + [point.net for point in pace]),
            charts.Series("Pace to target", [0] + [point.pace for point in pace], dashed=True),
        ],
        fmt=fmt,
    )
    return page(request, "overview", who, scope, progress=progress.as_json(), chart=chart)


def _last_day(end: datetime, zone: ZoneInfo) -> date:
    """The local day a bucket ending (exclusive) at `end` ends on."""
    return (end - timedelta(microseconds=1)).astimezone(zone).date()


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


# The payments list's filters, as its query names them; empty means any.
PAYMENT_FILTERS = ("status", "kind", "currency", "source", "search")


def _payment_filter(request: Request, scope: Scope) -> PaymentFilter:
    """The payments list's filters from the query; a bad one is a 400 with the reason."""
    given = {name: request.query_params.get(name, "").strip() for name in PAYMENT_FILTERS}
    try:
        return PaymentFilter(
            first_day=scope.first_day,
            last_day=scope.last_day,
            timezone=scope.timezone,
            status=payment_list.check_status(given["status"]) if given["status"] else None,
            kind=payment_list.check_kind(given["kind"]) if given["kind"] else None,
            currency=(
                payment_list.check_currency(given["currency"]) if given["currency"] else None
            ),
            source=payment_list.check_source(given["source"]) if given["source"] else None,
            search=payment_list.check_search(given["search"]) if given["search"] else None,
        )
    except ReportInputError as error:
        raise PageError(400, str(error)) from None


def _page_size(request: Request) -> int:
    text = request.query_params.get("size") or str(PAYMENTS_PAGE)
    if not text.isdigit() or not 1 <= int(text) <= payment_list.MAX_PAGE:
        raise PageError(400, _BAD_SIZE.format(most=payment_list.MAX_PAGE, value=text[:20]))
    return int(text)


def _cursor(request: Request, option: str) -> Cursor | None:
    text = request.query_params.get(option)
    if not text:
        return None
    try:
        return Cursor.parse(text, option=option)
    except ReportInputError as error:
        raise PageError(400, str(error)) from None


@staff_only
async def payments(request: Request, who: str) -> Response:
    scope = await page_scope(request)
    chosen = _payment_filter(request, scope)
    size = _page_size(request)
    after, before = _cursor(request, "after"), _cursor(request, "before")
    if after is not None and before is not None:
        raise PageError(400, _BOTH_CURSORS)
    async with scope.state.reports_db.session() as session:
        found = await payment_list.payment_page(
            session=session, chosen=chosen, size=size, after=after, before=before
        )
        sources_known = await payment_list.sources_in_ledger(session=session)
        currencies = await payment_list.currencies_in_ledger(session=session)
    # The filters as the page was asked, for the form and the Next and Previous links.
    kept = [(name, request.query_params.get(name, "").strip()) for name in PAYMENT_FILTERS]
    kept = [(name, value) for name, value in kept if value]
    if size != PAYMENTS_PAGE:
        kept.append(("size", str(size)))
    filters = scope.query() + "".join(f"&{name}={quote(value)}" for name, value in kept)
    base = stripe_links.dashboard_base(scope.state.settings)
    links = {
        row.id: stripe_links.payment_url(
            base, payment_intent=row.payment_intent, charge=row.charge, invoice=row.invoice
        )
        for row in found.rows
    }
    return page(
        request,
        "payments",
        who,
        scope,
        found=found,
        chosen=dict(kept),
        filters=filters,
        links=links,
        statuses=list(PaymentStatus),
        sources=sources_known,
        currencies=currencies,
        no_source=payment_list.NO_SOURCE,
        ranged=False,
    )


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
