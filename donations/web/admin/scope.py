"""What every /admin page reads from its query: the campaign (?campaign=slug, default the
current one) and the range of days (?from=YYYY-MM-DD&to=YYYY-MM-DD, default the campaign's
window). A bad value is a PageError: 404 for an unknown campaign, 400 with the reason."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from donations import money
from donations.campaigns import NO_CAMPAIGN, find_campaign
from donations.models import Campaign, utcnow
from donations.reports.windows import ReportInputError, local_today, parse_range
from donations.state import AppState, app_state
from donations.web.admin.auth import PageError
from donations.web.admin.labels import words
from donations.web.templates import templates

_UNKNOWN_CAMPAIGN = "no campaign {slug!r}"

# {{ "one_off" | words }} -> One-off, on every admin page.
templates.env.filters["words"] = words

T = TypeVar("T")


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

    @property
    def zone(self) -> ZoneInfo:
        return self.state.settings.report_zone

    def query(self) -> str:
        slug = f"campaign={self.campaign.slug}&" if self.campaign else ""
        return f"{slug}from={self.first_day}&to={self.last_day}"

    def range(self) -> dict[str, Any]:
        """The keywords every ranged report takes."""
        return {"first_day": self.first_day, "last_day": self.last_day, "timezone": self.timezone}


async def page_scope(request: Request, *, needs_campaign: bool = False) -> Scope:
    state = app_state(request)
    today = local_today(utcnow(), state.settings.report_zone)
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


def required_campaign(scope: Scope) -> Campaign:
    if scope.campaign is None:
        raise PageError(404, NO_CAMPAIGN)
    return scope.campaign


async def ranged(scope: Scope, report: Callable[..., Awaitable[T]], **extra: Any) -> T:
    """`report` over the page's range, read from the reports database."""
    async with scope.state.reports_db.session() as session:
        return await report(session=session, **scope.range(), **extra)


def page(request: Request, name: str, who: str, scope: Scope, **context: Any) -> Response:
    return templates.TemplateResponse(
        request,
        f"admin/{name}.html",
        {"staff": who, "scope": scope, "section": name, "ranged": True, **context},
    )


def money_format(currency: str) -> Callable[[int], str]:
    return lambda amount: money.format_amount(amount, currency)
