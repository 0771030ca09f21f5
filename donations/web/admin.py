"""/admin: the finance dashboard, behind HTTP Basic against staff users.

    GET /admin                      progress against the target; cumulative net vs pace
    GET /admin/months               month by month, one-off vs recurring
    GET /admin/members              joined, cancelled, churn, MRR
    GET /admin/sources              top sources
    GET /admin/funnel               checkout sessions and conversion
    GET /admin/payments             recent payments, emails masked
    GET /admin/snapshots            stored progress history
    GET /admin/api/progress         the whole progress JSON (the public API has a subset)
    GET /admin/export/{report}.csv  every report as CSV, streamed; each download audited
    GET /admin/admin.css            the stylesheet (the CSP allows no inline style)

Pages take ?campaign=slug and ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the campaign's
window); bad values answer 400 with the reason. A wrong name or password answers 401 with a
Basic challenge, the same for names that do not exist; a client that failed too often 429
with Retry-After, its password unchecked (donations.throttle). In production, plain http
answers 403 before any password is read: the scheme is the connection's, or the trusted
proxy's X-Forwarded-Proto (ProxyHeadersMiddleware, TRUSTED_PROXIES).

A browser sends the Basic credentials with every request; checking argon2 and writing an
audit row each time would make every page cost tens of milliseconds of CPU, so a verified name and
password are remembered in this process (donations/login_memory.py): a "login" (audited) is
the first request after that. Each request still reads the user's stored hash (one indexed
row) and forgets the login if it changed or is gone, so `donations staff passwd` and
`remove` end it in every process at once.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from donations import charts, money
from donations.campaigns import NO_CAMPAIGN, find_campaign
from donations.login_memory import fingerprint
from donations.models import Campaign, utcnow
from donations.reports import export, funnel, period, recent, sources
from donations.reports.members import COLUMNS as MEMBER_COLUMNS
from donations.reports.members import members_report
from donations.reports.pace import campaign_pace
from donations.reports.progress import campaign_progress
from donations.reports.snapshots import snapshot_history
from donations.reports.windows import (
    Grain,
    ReportInputError,
    buckets,
    checked_grain,
    iso_utc,
    local_today,
    parse_range,
    report_zone,
)
from donations.staff import Action, LoginOutcome, audit, credential, log_in
from donations.state import AppState, app_state
from donations.web.templates import templates

ADMIN_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CHALLENGE = 'Basic realm="donations admin", charset="UTF-8"'
RECENT_PAYMENTS = 50
TOP_SOURCES = 20
CSS = (Path(__file__).resolve().parent.parent / "templates" / "admin" / "admin.css").read_text()

_WRONG = "Wrong name or password.\n"
_THROTTLED = "Too many failed logins from your address: try again in {seconds} s.\n"
_USE_HTTPS = "Use https: staff logins are refused over plain http.\n"
_UNKNOWN_CAMPAIGN = "no campaign {slug!r}"
_UNKNOWN_REPORT = "no report {name!r}; one of: {names}"

T = TypeVar("T")


class PageError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --- logging in ------------------------------------------------------------------------------


def _credentials(request: Request) -> tuple[str, str] | None:
    """(name, password) from `Authorization: Basic ...` (RFC 7617), or None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, colon, password = decoded.partition(":")
    return (name, password) if colon and name else None


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _challenge(body: str) -> Response:
    return PlainTextResponse(body, status_code=401, headers={"WWW-Authenticate": CHALLENGE})


async def _still_remembered(state: AppState, key: str, name: str) -> bool:
    remembered = state.staff_logins.credential(key)
    if remembered is None:
        return False
    async with state.db.session() as session:
        if await credential(session=session, name=name) == remembered:
            return True
    # A new password, or the user removed: this login must be checked again.
    state.staff_logins.forget(key)
    return False


async def _staff_name(request: Request) -> str | Response:
    state = app_state(request)
    if state.settings.ENVIRONMENT == "production" and request.url.scheme != "https":
        # Before the credentials are read: answering a challenge here would invite the
        # browser to send the password over plain http again.
        return PlainTextResponse(_USE_HTTPS, status_code=403)
    credentials = _credentials(request)
    if credentials is None:
        return _challenge("Log in with your staff name and password.\n")
    name, password = credentials
    key = fingerprint(name, password)
    if await _still_remembered(state, key, name):
        return name
    result = await log_in(db=state.db, name=name, password=password, client_ip=_client_ip(request))
    if result.outcome is LoginOutcome.ok:
        assert result.credential is not None, "a login that succeeded names its credential"
        state.staff_logins.remember(key, result.credential)
        return name
    if result.outcome is LoginOutcome.throttled:
        assert result.retry_after is not None, "a throttled login says how long to wait"
        seconds = max(1, math.ceil(result.retry_after.total_seconds()))
        return PlainTextResponse(
            _THROTTLED.format(seconds=seconds),
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
    return _challenge(_WRONG)


Page = Callable[[Request, str], Awaitable[Response]]


def staff_only(page: Page) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        who = await _staff_name(request)
        if isinstance(who, Response):
            return who
        try:
            response = await page(request, who)
        except PageError as error:
            response = templates.TemplateResponse(
                request,
                "admin/error.html",
                {"message": error.message, "staff": who},
                status_code=error.status,
            )
        response.headers["Content-Security-Policy"] = ADMIN_POLICY
        response.headers["Cache-Control"] = "no-store"
        return response

    return endpoint


# --- what every page needs -------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    state: AppState
    campaign: Campaign | None
    first_day: date
    last_day: date
    today: date

    @property
    def timezone(self) -> str:
        return self.state.settings.REPORT_TIMEZONE

    def query(self) -> str:
        slug = f"campaign={self.campaign.slug}&" if self.campaign else ""
        return f"{slug}from={self.first_day}&to={self.last_day}"

    def range(self) -> dict[str, Any]:
        """The keywords every ranged report takes."""
        return {"first_day": self.first_day, "last_day": self.last_day, "timezone": self.timezone}


async def _scope(request: Request, *, needs_campaign: bool = False) -> Scope:
    state = app_state(request)
    timezone = state.settings.REPORT_TIMEZONE
    today = local_today(utcnow(), report_zone(timezone))
    slug = request.query_params.get("campaign") or None
    async with state.reports_db.session() as session:
        campaign = await find_campaign(session=session, slug=slug, today=today)
    if campaign is None and (slug or needs_campaign):
        raise PageError(404, _UNKNOWN_CAMPAIGN.format(slug=slug) if slug else NO_CAMPAIGN)
    start = request.query_params.get("from") or (str(campaign.starts_on) if campaign else None)
    end = request.query_params.get("to") or (str(campaign.ends_on) if campaign else None)
    try:
        first_day, last_day = parse_range(start, end, today=today, options=("from", "to"))
    except ReportInputError as error:
        raise PageError(400, str(error)) from None
    return Scope(state, campaign, first_day, last_day, today)


def _required(scope: Scope) -> Campaign:
    if scope.campaign is None:
        raise PageError(404, NO_CAMPAIGN)
    return scope.campaign


async def _ranged(scope: Scope, report: Callable[..., Awaitable[T]], **extra: Any) -> T:
    """`report` over the page's range, read from the reports database."""
    async with scope.state.reports_db.session() as session:
        return await report(session=session, **scope.range(), **extra)


def _page(request: Request, name: str, who: str, scope: Scope, **context: Any) -> Response:
    return templates.TemplateResponse(
        request,
        f"admin/{name}.html",
        {"staff": who, "scope": scope, "section": name, "ranged": True, **context},
    )


def _money(currency: str) -> Callable[[int], str]:
    return lambda amount: money.format_amount(amount, currency)


# --- pages -----------------------------------------------------------------------------------


@staff_only
async def overview(request: Request, who: str) -> Response:
    scope = await _scope(request, needs_campaign=True)
    campaign = _required(scope)
    async with scope.state.reports_db.session() as session:
        progress = await campaign_progress(
            session=session, campaign=campaign, timezone=scope.timezone, now=utcnow()
        )
        pace = await campaign_pace(
            session=session, campaign=campaign, timezone=scope.timezone, today=scope.today
        )
    fmt = _money(campaign.currency)
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
    return _page(request, "overview", who, scope, progress=progress.as_json(), chart=chart)


@staff_only
async def months(request: Request, who: str) -> Response:
    scope = await _scope(request)
    rows = await _ranged(scope, period.period_report, grain=Grain.month)
    chart = None
    if scope.campaign is not None:
        currency = scope.campaign.currency
        mine = {row.period: row for row in rows if row.currency == currency}
        # Every month of the range, so that a month without money shows as a gap.
        labels = [
            bucket.label
            for bucket in buckets(
                scope.first_day, scope.last_day, Grain.month, report_zone(scope.timezone)
            )
        ]
        one_off = [mine[label].one_off_amount if label in mine else 0 for label in labels]
        recurring = [mine[label].recurring_amount if label in mine else 0 for label in labels]
        fmt = _money(currency)
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
    return _page(request, "months", who, scope, rows=rows, chart=chart)


@staff_only
async def members(request: Request, who: str) -> Response:
    scope = await _scope(request)
    report = await _ranged(scope, members_report)
    return _page(request, "members", who, scope, report=report, summary=report.summary())


@staff_only
async def top_sources(request: Request, who: str) -> Response:
    scope = await _scope(request)
    rows = await _ranged(scope, sources.sources_report, limit=TOP_SOURCES)
    return _page(request, "sources", who, scope, rows=rows)


@staff_only
async def checkout_funnel(request: Request, who: str) -> Response:
    scope = await _scope(request)
    rows = await _ranged(scope, funnel.funnel_report)
    return _page(request, "funnel", who, scope, rows=rows)


@staff_only
async def payments(request: Request, who: str) -> Response:
    scope = await _scope(request)
    async with scope.state.reports_db.session() as session:
        rows = await recent.recent_payments(session=session, limit=RECENT_PAYMENTS)
    return _page(request, "payments", who, scope, rows=rows, ranged=False)


@staff_only
async def snapshots(request: Request, who: str) -> Response:
    scope = await _scope(request, needs_campaign=True)
    campaign = _required(scope)
    async with scope.state.reports_db.session() as session:
        history = await snapshot_history(session=session, campaign=campaign)
    fmt = _money(campaign.currency)
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
    return _page(request, "snapshots", who, scope, history=history, chart=chart, ranged=False)


# --- exports ---------------------------------------------------------------------------------


async def _dicts(rows: AsyncIterator[Any]) -> AsyncIterator[dict[str, Any]]:
    async for row in rows:
        yield row.as_json()


async def _progress_rows(
    scope: Scope, campaign: Campaign, session: AsyncSession
) -> AsyncIterator[dict[str, Any]]:
    figures = await campaign_progress(
        session=session, campaign=campaign, timezone=scope.timezone, now=utcnow()
    )
    for key, value in export.flatten(figures.as_json()):
        yield {"figure": key, "value": value}


async def _member_rows(scope: Scope, session: AsyncSession) -> AsyncIterator[dict[str, Any]]:
    report = await members_report(session=session, **scope.range())
    for row in report.rows:
        yield row.as_json()


def _export_rows(
    name: str, scope: Scope, grain: Grain | None, session: AsyncSession
) -> tuple[tuple[str, ...], AsyncIterator[dict[str, Any]]]:
    """(columns, rows as they come): the cursor's rows for the long reports, a few aggregate
    rows computed in one go for progress and members. `grain` is the period export's ?by=,
    None for the others."""
    if name == "progress":
        return ("figure", "value"), _progress_rows(scope, _required(scope), session)
    if name == "members":
        return MEMBER_COLUMNS, _member_rows(scope, session)
    if name == "funnel":
        return funnel.COLUMNS, _dicts(funnel.stream_funnel(session=session, **scope.range()))
    rows: AsyncIterator[Any]
    if name == "period":
        assert grain is not None, "export_csv checks ?by= for the period export"
        rows = period.stream_period(session=session, grain=grain, **scope.range())
        return period.COLUMNS, _dicts(rows)
    if name == "sources":
        return sources.COLUMNS, _dicts(sources.stream_sources(session=session, **scope.range()))
    return recent.COLUMNS, _dicts(recent.stream_recent(session=session, limit=RECENT_PAYMENTS))


def _period_grain(request: Request, scope: Scope) -> Grain:
    """The period export's ?by= (default month), checked before the download starts: a bad
    value, or one that cuts the range into too many buckets, is a 400 with the reason, not a
    file broken halfway."""
    by = request.query_params.get("by", Grain.month.value)
    try:
        zone = report_zone(scope.timezone)
        return checked_grain(by, scope.first_day, scope.last_day, zone, option="by")
    except ReportInputError as error:
        raise PageError(400, str(error)) from None


EXPORTS = ("progress", "period", "members", "sources", "funnel", "payments")


@staff_only
async def export_csv(request: Request, who: str) -> Response:
    name = request.path_params["report"]
    if name not in EXPORTS:
        raise PageError(404, _UNKNOWN_REPORT.format(name=name, names=", ".join(EXPORTS)))
    scope = await _scope(request, needs_campaign=name == "progress")
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
            client_ip=_client_ip(request),
            at=utcnow(),
        )
    filename = f"{name}-{scope.first_day}-{scope.last_day}.csv"

    async def lines() -> AsyncIterator[str]:
        async with scope.state.reports_db.session() as session:
            columns, rows = _export_rows(name, scope, grain, session)
            async for line in export.csv_lines(columns, rows):
                yield line

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def stylesheet(request: Request) -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@staff_only
async def api_progress(request: Request, who: str) -> Response:
    """The campaign's whole progress figure, as `donations report progress --format json`."""
    scope = await _scope(request, needs_campaign=True)
    async with scope.state.reports_db.session() as session:
        figures = await campaign_progress(
            session=session, campaign=_required(scope), timezone=scope.timezone, now=utcnow()
        )
    return JSONResponse(figures.as_json())


routes: list[BaseRoute] = [
    Route("/admin", overview, methods=["GET"]),
    Route("/admin/months", months, methods=["GET"]),
    Route("/admin/members", members, methods=["GET"]),
    Route("/admin/sources", top_sources, methods=["GET"]),
    Route("/admin/funnel", checkout_funnel, methods=["GET"]),
    Route("/admin/payments", payments, methods=["GET"]),
    Route("/admin/snapshots", snapshots, methods=["GET"]),
    Route("/admin/api/progress", api_progress, methods=["GET"]),
    Route("/admin/export/{report}.csv", export_csv, methods=["GET"]),
    Route("/admin/admin.css", stylesheet, methods=["GET"]),
]
