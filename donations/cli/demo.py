"""`donations demo [--payments N] [--seed S]`: a first look, with readers played by a script.

On the configured DATABASE_URL (migrated first), with the bundled Stripe emulator only:
1. a campaign for this calendar year (€50,000.00) unless one is running today;
2. the app under uvicorn in a background thread, on a free port that SITE_URL points at;
3. the emulator's clock is started at the campaign's first day (at most a year ago), and N
   readers come over the campaign so far, as an appeal's do: a launch, a steady trickle, a
   year-end push. Each starts a checkout session through POST /api/checkout-sessions, as a
   site's front end would; most pay on the emulator (some cards declined, a few payments
   disputed), some leave it to expire, a few one-off gifts are refunded through the Stripe
   API. Between readers the clock moves on, so memberships renew (or fail to) month by
   month and Stripe pays out every day; it never passes now;
4. every webhook is delivered, each payout's balance transactions are fetched (as `donations
   reconcile payouts` does), and so are the fees (as `donations reconcile fees` does, while
   the demo's emulator still answers);
5. the demo prints what it did, then the campaign's figures exactly as `donations report
   progress` gives them (every run's readers, not only this one's), and the days `donations
   report payouts` explains.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import stripe
import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import func, select

from donations import migrations, money
from donations.campaigns import NewCampaign, add_campaign, find_campaign
from donations.cli.common import fail
from donations.cli.reconcile_payouts import fetch_payouts
from donations.db import Database
from donations.models import Campaign, Payout, utcnow
from donations.reports.progress import campaign_progress
from donations.reports.windows import Window, local_today, window
from donations.settings import Settings, get_settings
from donations.stripe_api import EMULATOR_PATH, open_stripe_client

REAL_KEY = "donations demo only runs against the bundled emulator: unset STRIPE_SECRET_KEY"
PRODUCTION = "donations demo never runs with ENVIRONMENT=production"
NOT_STARTED = "the demo's web server did not start"
STARTUP_TIMEOUT = 15.0
DEMO_TARGET = 5_000_000  # €50,000.00
CURRENCY = "eur"
# A few readers abroad pay in their own currency: shown beside the campaign, never converted.
ABROAD = {"gbp": 0.08, "usd": 0.05}
# Requests in flight at once: a busy evening, not a load test.
CONCURRENCY = 8
DAY = 86400
# Readers come over at most a year: the campaign's days so far.
LONGEST = 365 * DAY
# An appeal's shape, as shares of readers and of the days so far: a launch in its first
# twentieth, a push in its last tenth, a steady trickle between.
LAUNCH, PUSH = (0.2, 0.05), (0.25, 0.10)
FLUSH_TIMEOUT = 300
# Every request comes from this machine: the per-client limit would stop the demo at 10.
DEMO_RATE_LIMIT = "100000/minute"

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_DISPUTED = "4000000000000259"
CARD_RENEWALS_DECLINED = "4000000000000341"

SOURCES = ("article-footer", "newsletter", "homepage-banner", "podcast", "social", "")
# What readers pick, in major units (the form's buttons); a custom amount is any in between.
ONE_OFF_AMOUNTS = tuple(map(Decimal, (5, 10, 10, 25, 25, 50, 100)))
MONTHLY_AMOUNTS = tuple(map(Decimal, (5, 5, 10, 10, 20)))
ANNUAL_AMOUNTS = tuple(map(Decimal, (50, 100, 200)))
CUSTOM_AMOUNTS = (Decimal("3.00"), Decimal("150.00"))
# What happens after checkout, as shares of one-off gifts and of memberships; the rest pay.
ONE_OFF_FATES = {"refunded": 0.08, "disputed": 0.06, "declined": 0.08, "abandoned": 0.08}
MEMBER_FATES = {"renewals_declined": 0.07, "declined": 0.07, "abandoned": 0.06}


@dataclass(frozen=True)
class Visit:
    """One reader: what they chose, and what happens to their payment."""

    amount: int
    currency: str
    frequency: str
    source: str
    email: str | None
    # paid | refunded | disputed | declined | abandoned | renewals_declined
    fate: str
    # When the reader comes, as a share of the campaign's days so far (0: its first moment).
    moment: float = 0.0


@dataclass
class Tally:
    """What this run did, as Stripe answered it (the money is the campaign's, from the
    reports: every run's readers count)."""

    sessions: int = 0
    paid: int = 0
    declined: int = 0
    abandoned: int = 0
    renewals: int = 0
    renewals_failed: int = 0
    refunds: int = 0
    disputes: int = 0
    payouts: int = 0
    # The gifts to refund, by PaymentIntent, once paid.
    payment_intents: dict[str, int] = field(default_factory=dict)


def demo(
    payments: int = typer.Option(200, "--payments", min=1, max=5000, help="Checkout sessions"),
    seed: int | None = typer.Option(None, "--seed", help="Seed for a repeatable run"),
) -> None:
    """Realistic activity through the Stripe emulator, then a summary and the totals."""
    settings = get_settings()
    if settings.STRIPE_SECRET_KEY:
        fail(REAL_KEY)
    if settings.ENVIRONMENT == "production":
        fail(PRODUCTION)
    console = Console()
    migrations.upgrade(settings.DATABASE_URL)
    campaign = asyncio.run(_campaign(settings))
    span = window(campaign.starts_on, campaign.ends_on, settings.report_zone)
    visits = plan(payments, random.Random(seed))
    with _listening_socket() as sock:
        site = f"http://127.0.0.1:{sock.getsockname()[1]}"
        demo_settings = settings.model_copy(
            update={"SITE_URL": site, "CHECKOUT_RATE_LIMIT": DEMO_RATE_LIMIT, "REDIS_URL": None,
                    "STRIPE_API_BASE": None,
                    "CURRENCIES": sorted({*settings.CURRENCIES, CURRENCY, *ABROAD})}
        )  # fmt: skip
        with _serving(demo_settings, sock):
            console.print(f"demo: the app and the Stripe emulator are at {site}")
            tally = asyncio.run(_run(demo_settings, visits, span, console))
    figures = asyncio.run(_progress(settings, campaign))
    _report(console, campaign, span, tally, figures)


def plan(count: int, rng: random.Random) -> list[Visit]:
    """`count` readers: mostly one-off gifts, a third members; most pay, some do not.

    Fates are dealt like cards, in fixed shares, so even a small run has a refund and a
    dispute; the seed decides who gets which.
    """
    frequencies = [_frequency(rng.random()) for _ in range(count)]
    one_off_fates = _deal(frequencies.count("one_off"), ONE_OFF_FATES, rng)
    member_fates = _deal(count - len(one_off_fates), MEMBER_FATES, rng)
    visits = []
    for number, frequency in enumerate(frequencies):
        if frequency == "one_off":
            fate = one_off_fates.pop()
            amount = rng.choice(ONE_OFF_AMOUNTS)
            if rng.random() < 0.2:
                low, high = (money.to_minor(bound, CURRENCY) for bound in CUSTOM_AMOUNTS)
                amount = money.to_major(rng.randint(low, high), CURRENCY)  # cents and all
        else:
            fate = member_fates.pop()
            amounts = MONTHLY_AMOUNTS if frequency == "monthly" else ANNUAL_AMOUNTS
            amount = rng.choice(amounts)
        email = f"reader{number + 1}@example.com" if rng.random() < 0.85 else None
        # Refunds and disputes stay in the campaign's currency, where the summary shows them.
        currency = _currency(rng.random()) if fate == "paid" else CURRENCY
        minor = money.to_minor(amount, currency)
        moment = _moment(rng)
        visits.append(Visit(minor, currency, frequency, rng.choice(SOURCES), email, fate, moment))
    return sorted(visits, key=lambda visit: visit.moment)


def _moment(rng: random.Random) -> float:
    """When a reader comes, as a share of the campaign's days so far: a launch, a trickle,
    a year-end push (LAUNCH and PUSH)."""
    roll = rng.random()
    if roll < LAUNCH[0]:
        return rng.uniform(0, LAUNCH[1])
    if roll < LAUNCH[0] + PUSH[0]:
        return rng.uniform(1 - PUSH[1], 1)
    return rng.random()


def _currency(roll: float) -> str:
    for currency, share in ABROAD.items():
        if roll < share:
            return currency
        roll -= share
    return CURRENCY


def _frequency(roll: float) -> str:
    return "one_off" if roll < 0.6 else "monthly" if roll < 0.9 else "annual"


def _deal(count: int, shares: dict[str, float], rng: random.Random) -> list[str]:
    """`count` fates in the given shares (rounded), the rest "paid", shuffled."""
    fates = [fate for fate, share in shares.items() for _ in range(round(count * share))]
    fates = fates[:count] + ["paid"] * max(0, count - len(fates))
    rng.shuffle(fates)
    return fates


async def _campaign(settings: Settings) -> Campaign:
    """The campaign running today, or a new one for this calendar year."""
    today = local_today(utcnow(), settings.report_zone)
    db = Database(settings.DATABASE_URL)
    try:
        async with db.session() as session:
            found = await find_campaign(session=session, slug=None, today=today)
            if found is not None and found.starts_on <= today <= found.ends_on:
                return found
            year = today.year
            new = NewCampaign(
                slug=f"demo-{year}",
                name=f"Reader support {year}",
                currency=CURRENCY,
                target=DEMO_TARGET,
                starts_on=date(year, 1, 1),
                ends_on=date(year, 12, 31),
            )
            return await add_campaign(session=session, campaign=new)
    finally:
        await db.dispose()


async def _run(settings: Settings, visits: list[Visit], span: Window, console: Console) -> Tally:
    tally = Tally()
    emulator = settings.SITE_URL + EMULATOR_PATH + "/_emulator"
    limit = asyncio.Semaphore(CONCURRENCY)
    now = int(time.time())
    first = max(int(span.start.timestamp()), now - LONGEST)
    async with (
        open_stripe_client(settings) as client,
        httpx.AsyncClient(base_url=settings.SITE_URL, timeout=60) as http,
    ):
        # The emulator is new with this process: its clock may start on the campaign's day.
        await _post(http, f"{emulator}/clock/start", {"at": first})
        with _bar(console) as progress:
            task = progress.add_task("a year of readers contributing", total=len(visits))

            async def one(visit: Visit) -> None:
                async with limit:
                    await _visit(http, emulator, visit, tally)
                progress.advance(task)

            # Day by day: the clock moves to the day's first reader (renewals, payouts and
            # expiries on the way), the day's readers give, the day's refunds are made.
            for day in _days(visits, first, now):
                moment = first + int(day[0].moment * (now - first))
                await _advance(http, emulator, moment, tally)
                await asyncio.gather(*(one(visit) for visit in day))
                await _refund(client, tally)
        # Up to now, never past it: what falls due until then happens.
        await _advance(http, emulator, int(time.time()), tally)
        flushed = await _post(http, f"{emulator}/deliveries/flush", {"timeout": FLUSH_TIMEOUT})
        if not flushed.get("flushed"):
            console.print(f"demo: {flushed.get('pending')} webhook deliveries still pending")
        await _payouts(settings, client, console, span)
    return tally


def _days(visits: list[Visit], first: int, now: int) -> list[list[Visit]]:
    """The visits (in time order) grouped by the day they happen on."""
    days: dict[int, list[Visit]] = {}
    for visit in visits:
        days.setdefault(int(visit.moment * (now - first)) // DAY, []).append(visit)
    return [days[day] for day in sorted(days)]


async def _payouts(
    settings: Settings, client: stripe.StripeClient, console: Console, span: Window
) -> None:
    """Fetch what each payout paid out, and every payment's fee, while the emulator still
    runs, as cron would (`reconcile payouts`, `reconcile fees`)."""
    # Imported here: the fee reconciler is a command module of its own.
    from donations.cli.reconcile import reconcile_all

    counts: Counter[str] = Counter()
    db = Database(settings.DATABASE_URL)
    try:
        await fetch_payouts(db, client, None, counts)
        await reconcile_all(db, client)
        async with db.session() as session:
            last_arrival = await session.scalar(select(func.max(Payout.arrival_date)))
    finally:
        await db.dispose()
    # The report picks payouts by the day they reach the bank: one made today arrives
    # tomorrow (or later), and the command shown must count it too.
    until = max(local_today(utcnow(), settings.report_zone), last_arrival or date.min)
    console.print(
        f"demo: {counts['payouts']} payouts, {counts['explained']} explained to the cent: "
        f"donations report payouts --from {span.first_day} --to {until}"
    )


async def _progress(settings: Settings, campaign: Campaign) -> dict[str, Any]:
    """The campaign's figures as `donations report progress` gives them."""
    db = Database(settings.DATABASE_URL)
    try:
        async with db.session() as session:
            figures = await campaign_progress(
                session=session, campaign=campaign, timezone=settings.REPORT_TIMEZONE, now=utcnow()
            )
        return figures.as_json()
    finally:
        await db.dispose()


async def _visit(http: httpx.AsyncClient, emulator: str, visit: Visit, tally: Tally) -> None:
    body: dict[str, Any] = {"amount": visit.amount, "currency": visit.currency,
                            "frequency": visit.frequency, "source": visit.source or None}  # fmt: skip
    if visit.email:
        body["email"] = visit.email
    response = await http.post(
        "/api/checkout-sessions", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    response.raise_for_status()
    tally.sessions += 1
    session_id = response.json()["id"]
    if visit.fate == "abandoned":
        tally.abandoned += 1
        return
    card = {"declined": CARD_DECLINED, "disputed": CARD_DISPUTED,
            "renewals_declined": CARD_RENEWALS_DECLINED}.get(visit.fate, CARD_SUCCEEDS)  # fmt: skip
    paid = await _post(http, f"{emulator}/checkout/sessions/{session_id}/pay", {"card": card})
    if paid["outcome"] != "paid":
        tally.declined += 1
        return
    tally.paid += 1
    if visit.fate == "disputed":
        tally.disputes += 1
    if visit.fate == "refunded":
        tally.payment_intents[paid["session"]["payment_intent"]] = visit.amount


async def _refund(client: stripe.StripeClient, tally: Tally) -> None:
    """Refund the gifts planned for it, in full, through the Stripe API as staff would."""
    for payment_intent in list(tally.payment_intents):
        refund = await client.v1.refunds.create_async({"payment_intent": payment_intent})
        del tally.payment_intents[payment_intent]
        if refund.status == "succeeded":
            tally.refunds += 1


async def _advance(http: httpx.AsyncClient, emulator: str, to: int, tally: Tally) -> None:
    """Move the emulator's clock to `to` (never back), counting the renewals on the way."""
    clock = await _get(http, f"{emulator}/clock")
    if to <= clock["now"]:
        return
    moved = await _post(http, f"{emulator}/clock/advance", {"to": to})
    for event in moved["events"]:
        if event["type"] == "invoice.payment_failed":
            tally.renewals_failed += 1
        elif event["type"] == "invoice.paid":
            tally.renewals += 1
        elif event["type"] == "payout.created":
            tally.payouts += 1


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(url, json=body)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


async def _get(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await http.get(url)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def _report(
    console: Console, campaign: Campaign, span: Window, tally: Tally, figures: dict[str, Any]
) -> None:
    def amount(value: int, currency: str = campaign.currency) -> str:
        return money.format_amount(value, currency)

    did = Table(title="What the demo did", show_header=False)
    did.add_row("checkout sessions started", str(tally.sessions))
    did.add_row("paid at checkout", str(tally.paid))
    did.add_row("declined, left to expire", str(tally.declined))
    did.add_row("abandoned, left to expire", str(tally.abandoned))
    did.add_row(
        "membership payments after the first: paid / failed",
        f"{tally.renewals} / {tally.renewals_failed}",
    )
    did.add_row("refunds / disputes", f"{tally.refunds} / {tally.disputes}")
    did.add_row("payouts to the bank", str(tally.payouts))
    console.print(did)
    # The campaign's figures, every run's readers: what `donations report progress` shows.
    raised = Table(title=f"{campaign.name}, as `donations report progress` shows it",
                   show_header=False)  # fmt: skip
    for name in ("gross", "refunded", "disputed", "net"):
        raised.add_row(name, amount(figures[name]))
    raised.add_row("payments", str(figures["payments"]))
    raised.add_row(f"active members ({campaign.currency.upper()})", str(figures["active_members"]))
    for currency, other in sorted(figures["other_currencies"].items()):
        raised.add_row(f"net in {currency.upper()} (not converted)", amount(other["net"], currency))
    console.print(raised)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[of]}"),
                  console=console, auto_refresh=False) as bar:  # fmt: skip
        bar.add_task(
            campaign.name,
            total=campaign.target,
            completed=max(figures["net"], 0),
            of=f"{amount(figures['net'])} of {amount(campaign.target)} ({figures['percent']}%)",
        )
        bar.refresh()
    # One line for scripts and tests: the figures of `donations report progress`.
    typer.echo(
        f"demo totals {campaign.currency} {campaign.slug} {span.first_day}..{span.last_day}: "
        f"gross={figures['gross']} refunded={figures['refunded']} "
        f"disputed={figures['disputed']} net={figures['net']}"
    )


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    )


@contextmanager
def _listening_socket() -> Iterator[socket.socket]:
    """Bound before the server starts, so SITE_URL names a port nobody else can take."""
    sock = socket.socket()
    # Accepted connections inherit it; without it each small response waits ~40 ms for
    # the peer's delayed ACK (Nagle), which uvicorn only avoids on sockets it binds itself.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock
    finally:
        sock.close()


@contextmanager
def _serving(settings: Settings, sock: socket.socket) -> Iterator[None]:
    # Imported here, not at the top: every `donations` command would pay for the whole app.
    from donations.app import create_app

    config = uvicorn.Config(
        create_app(settings), log_level="warning", lifespan="on", proxy_headers=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            fail(NOT_STARTED)
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)
