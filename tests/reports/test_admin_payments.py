"""The payments list and the supporter page of /admin, over the newsroom's year
(tests/reports/scenario.py) and a few more payments whose Stripe ids the tests know."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser

import httpx
import pytest
import pytest_asyncio
from sqlmodel import col, select

import stripe_events as se
from donations.db import Database
from donations.mail import outbox
from donations.mail.outbox import MailStatus
from donations.models import AuditLog, OutboxMessage
from donations.settings import Settings
from donations.staff import add_staff
from stripe_events.objects import charge as charge_object
from stripe_events.versions import render
from tests.conftest import TEST_WEBHOOK_SECRET
from tests.reports.scenario import at
from tests.support.webhook_delivery import deliver_all

NAME, PASSWORD = "ana", "correct horse battery"
AUTH = (NAME, PASSWORD)
YEAR = "from=2026-01-01&to=2026-12-31"
TEST_DASHBOARD = "https://dashboard.stripe.com/test/"
SENT_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class Tables(HTMLParser):
    """Each table's rows (by the table's id), each row its cells' text; and every link."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.links: list[tuple[str, str]] = []  # (href, text)
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None
        self._href: str | None = None
        self._link_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("id") or ""
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")
        elif tag == "a":
            self._href, self._link_text = found.get("href"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._link_text).strip()))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._href is not None:
            self._link_text.append(data)


@dataclass
class Known:
    """The extra payments, with the Stripe ids the tests search for."""

    refunded: se.happenings.Gift
    lost: se.happenings.Gift
    member: se.happenings.Membership


@pytest_asyncio.fixture
async def known(year: Database, dublin_client: httpx.AsyncClient) -> Known:
    """Three more payments: a gift refunded in full, one whose dispute was lost, and a
    quarterly membership in pounds, all by lou@example.org with one Stripe customer."""
    refunded = se.one_off_gift(
        800, "eur", at("2026-07-10T10:00:00"), "lou@example.org", source="podcast"
    )
    lost = se.one_off_gift(900, "eur", at("2026-08-01T10:00:00"), "Lou@Example.org")
    member = se.membership_signup(
        2400, "gbp", "month", at("2026-08-15T10:00:00"), "lou@example.org", interval_count=3
    )
    happenings: list[se.Happening] = [
        refunded,
        lost,
        member,
        se.refund(refunded, 800, at("2026-07-11T10:00:00")),
        se.dispute(lost, at("2026-08-05T10:00:00"), outcome="lost"),
    ]
    events = sorted(
        (event for happening in happenings for event in happening.events),
        key=lambda event: int(event["created"]),
    )
    # The cards they were paid with (Stripe's charge.succeeded), after the payments.
    invoice = member.payments[0]
    events += [
        card_event(refunded, "visa", "4242"),
        card_event(lost, "mastercard", "4444"),
        card_event(invoice, "visa", "4242"),
    ]
    responses = await deliver_all(dublin_client, events, TEST_WEBHOOK_SECRET)
    assert [r.status_code for r in responses if r.status_code != 200] == []
    async with year.session() as session:
        await add_staff(session=session, name=NAME, password=PASSWORD, actor="test")
        # The refund's message went out; the others wait in the outbox.
        refund_message = (
            await session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.to_address == "lou@example.org", OutboxMessage.kind == "refund"
                )
            )
        ).one()
        assert refund_message.id is not None
        await outbox.finish(
            session, refund_message.id, MailStatus.sent, at=SENT_AT, subject="Your refund"
        )
        await session.commit()
    return Known(refunded, lost, member)


def card_event(paid: se.happenings.Paid, brand: str, last4: str) -> dict[str, object]:
    intent, charge, amount = paid.parts[0]
    obj = charge_object(
        id=charge, payment_intent=intent, amount=amount, currency=paid.currency,
        created=paid.paid_at, customer=None,
    )  # fmt: skip
    obj["payment_method_details"] = {"type": "card", "card": {"brand": brand, "last4": last4}}
    return render(se.event("charge.succeeded", obj, created=paid.paid_at + 1))


async def rows(http: httpx.AsyncClient, query: str, table: str = "payments") -> list[list[str]]:
    response = await http.get(f"/admin/payments?{query}", auth=AUTH)
    assert response.status_code == 200, response.text
    return Tables(response.text).tables[table]


def summary(found: list[list[str]]) -> list[tuple[str, str, str, str]]:
    """(paid, amount, status, source) of each row."""
    return [(row[0], row[2], row[3], row[5]) for row in found]


@pytest.mark.asyncio
async def test_every_payment_of_the_year_with_its_status_newest_first(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    found = await rows(dublin_client, YEAR)
    # Dublin time; a dispute outranks a refund; a pending refund (E) does not count.
    assert [(row[0], row[1], row[2], row[3], row[5], row[6]) for row in found] == [
        ("2026-10-26 00:00", "One-off", "€40.00", "Succeeded", "article-footer", "k***@example.org"),
        ("2026-10-25 23:59", "One-off", "€12.00", "Succeeded", "—", "a***@example.org"),
        ("2026-08-15 11:00", "Membership", "£24.00", "Succeeded", "—", "l***@example.org"),
        ("2026-08-01 11:00", "One-off", "€9.00", "Dispute lost", "—", "l***@example.org"),
        ("2026-07-10 11:00", "One-off", "€8.00 €8.00 refunded", "Refunded", "podcast", "l***@example.org"),
        ("2026-07-01 11:00", "One-off", "€30.00", "Dispute won", "—", "c***@example.org"),
        ("2026-06-15 13:00", "One-off", "€20.00", "Disputed", "—", "b***@example.org"),
        ("2026-05-06 11:00", "One-off", "¥1,000", "Succeeded", "—", "j***@example.org"),
        ("2026-05-05 11:00", "One-off", "£15.00", "Succeeded", "newsletter", "i***@example.org"),
        ("2026-05-01 10:00", "Membership", "€5.00", "Succeeded", "homepage", "d***@example.org"),
        ("2026-04-20 10:00", "Membership", "€3.00", "Succeeded", "—", "g***@example.org"),
        ("2026-04-15 10:00", "Membership", "€7.00", "Succeeded", "—", "f***@example.org"),
        ("2026-04-10 10:00", "Membership", "€60.00", "Succeeded", "—", "e***@example.org"),
        ("2026-04-01 10:00", "Membership", "€5.00", "Succeeded", "homepage", "d***@example.org"),
        ("2026-03-30 00:30", "One-off", "€50.00 €10.00 refunded", "Partially refunded", "article-footer", "a***@example.org"),
        ("2026-03-29 23:59", "One-off", "€25.00", "Succeeded", "newsletter", "a***@example.org"),
    ]  # fmt: skip


@pytest.mark.asyncio
async def test_each_row_links_to_the_payment_in_stripes_test_dashboard(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    # A bare prefix names no customer: nothing to link to.
    assert await rows(dublin_client, f"{YEAR}&search=cus_") == [["No payments match."]]
    response = await dublin_client.get(f"/admin/payments?{YEAR}", auth=AUTH)
    links = Tables(response.text).links
    # No STRIPE_SECRET_KEY in the tests: the emulator's objects are test-mode ones.
    lost = known.lost.payment_intent_id
    assert (f"{TEST_DASHBOARD}payments/{lost}", lost) in links
    invoice = known.member.payments[0]
    member_intent = invoice.parts[0][0]
    assert (f"{TEST_DASHBOARD}payments/{member_intent}", member_intent) in links
    stripe_links = [href for href, _ in links if href.startswith("https://dashboard.stripe.com")]
    assert len(stripe_links) == 16
    assert all(href.startswith(TEST_DASHBOARD + "payments/pi_") for href in stripe_links)


@pytest.mark.asyncio
async def test_live_keys_link_to_the_live_dashboard() -> None:
    from donations.settings import Settings
    from donations.web.admin.stripe_links import dashboard_base, payment_url

    live = Settings(STRIPE_SECRET_KEY="sk_live_" + "x" * 24, ENVIRONMENT="development")
    test = Settings(STRIPE_SECRET_KEY="sk_test_" + "x" * 24, ENVIRONMENT="development")
    assert dashboard_base(live) == "https://dashboard.stripe.com/"
    assert dashboard_base(test) == TEST_DASHBOARD
    base = dashboard_base(live)
    assert payment_url(base, payment_intent=None, charge=None, invoice="in_1") == (
        "https://dashboard.stripe.com/invoices/in_1"
    )
    assert payment_url(base, payment_intent=None, charge="ch_1", invoice="in_1") == (
        "https://dashboard.stripe.com/payments/ch_1"
    )


@pytest.mark.asyncio
async def test_filters_by_days_status_kind_currency_and_source(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    http = dublin_client
    # Days are Dublin days: A (22:59:59Z on 03-29) is the 29th; B (23:30Z) the 30th.
    assert summary(await rows(http, "from=2026-03-30&to=2026-03-30")) == [
        ("2026-03-30 00:30", "€50.00 €10.00 refunded", "Partially refunded", "article-footer")
    ]
    statuses = {
        "refunded": ["€8.00 €8.00 refunded"],
        "partially_refunded": ["€50.00 €10.00 refunded"],
        "disputed": ["€20.00"],
        "dispute_won": ["€30.00"],
        "dispute_lost": ["€9.00"],
    }
    for status, amounts in statuses.items():
        assert [row[2] for row in await rows(http, f"{YEAR}&status={status}")] == amounts, status
    assert len(await rows(http, f"{YEAR}&status=succeeded")) == 11
    members = await rows(http, f"{YEAR}&kind=recurring")
    assert [row[2] for row in members] == ["£24.00", "€5.00", "€3.00", "€7.00", "€60.00", "€5.00"]
    assert len(await rows(http, f"{YEAR}&kind=one_off")) == 10
    assert [row[2] for row in await rows(http, f"{YEAR}&currency=GBP")] == ["£24.00", "£15.00"]
    assert [row[2] for row in await rows(http, f"{YEAR}&currency=jpy")] == ["¥1,000"]
    assert await rows(http, f"{YEAR}&currency=usd") == [["No payments match."]]
    assert [row[2] for row in await rows(http, f"{YEAR}&source=article-footer")] == [
        "€40.00",
        "€50.00 €10.00 refunded",
    ]
    assert len(await rows(http, f"{YEAR}&source=%28none%29")) == 9
    # Filters combine.
    both = await rows(http, f"{YEAR}&kind=recurring&source=homepage&currency=eur")
    assert [(row[0], row[2]) for row in both] == [
        ("2026-05-01 10:00", "€5.00"),
        ("2026-04-01 10:00", "€5.00"),
    ]
    # The form shows what was chosen.
    page = await http.get(f"/admin/payments?{YEAR}&status=disputed&kind=one_off", auth=AUTH)
    assert '<option value="disputed" selected>Disputed</option>' in page.text
    assert '<option value="one_off" selected>One-off</option>' in page.text
    assert "1 payment matches" in page.text


@pytest.mark.asyncio
async def test_search_by_every_kind_of_stripe_id(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    member_payment = known.member.payments[0]
    intent, charge, _ = member_payment.parts[0]
    searches = {
        known.lost.payment_intent_id: ["€9.00"],
        known.lost.charge_id: ["€9.00"],
        known.refunded.session_id: ["€8.00 €8.00 refunded"],
        known.member.session_id: ["£24.00"],
        member_payment.invoice_id: ["£24.00"],
        intent: ["£24.00"],
        charge: ["£24.00"],
        known.member.subscription_id: ["£24.00"],
        # Lou's customer: everything Lou gave, through any customer (one person).
        known.lost.customer_id or "": ["£24.00", "€9.00", "€8.00 €8.00 refunded"],
        "pi_nothing_like_it": ["No payments match."],
        # A card's last four: the membership and the refunded gift were paid with a 4242.
        "4242": ["£24.00", "€8.00 €8.00 refunded"],
        "4444": ["€9.00"],
        "0005": ["No payments match."],
    }
    for search, amounts in searches.items():
        found = await rows(dublin_client, f"{YEAR}&search={search}")
        assert [row[2] if len(row) > 1 else row[0] for row in found] == amounts, search
    # A search is within the days asked for.
    outside = await rows(dublin_client, f"from=2026-01-01&to=2026-07-31&search={intent}")
    assert outside == [["No payments match."]]


@pytest.mark.asyncio
async def test_pages_of_five_newest_first_with_next_and_previous(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    http = dublin_client

    async def visit(query: str) -> tuple[list[str], str | None, str | None]:
        response = await http.get(f"/admin/payments?{query}", auth=AUTH)
        assert response.status_code == 200
        parsed = Tables(response.text)
        nav = {
            text: unescape(href) for href, text in parsed.links if text in ("← Newer", "Older →")
        }
        amounts = [row[2].split(" ")[0] for row in parsed.tables["payments"]]
        return amounts, nav.get("← Newer"), nav.get("Older →")

    def query_of(link: str) -> str:
        return link.split("?", 1)[1]

    first, newer, older = await visit(f"{YEAR}&kind=one_off&size=4")
    assert (first, newer) == (["€40.00", "€12.00", "€9.00", "€8.00"], None)
    assert older is not None and "kind=one_off" in older and "size=4" in older
    second, newer, older = await visit(query_of(older))
    assert second == ["€30.00", "€20.00", "¥1,000", "£15.00"]
    assert newer is not None and older is not None
    third, _, last_older = await visit(query_of(older))
    assert (third, last_older) == (["€50.00", "€25.00"], None)
    # Back from the second page: the first again, with no newer page.
    back, back_newer, back_older = await visit(query_of(newer))
    assert (back, back_newer) == (first, None)
    assert back_older is not None
    page = await http.get(f"/admin/payments?{YEAR}&kind=one_off&size=4", auth=AUTH)
    assert "10 payments match; showing 4" in page.text


@pytest.mark.asyncio
async def test_bad_filters_are_a_400_with_the_reason(
    known: Known, dublin_client: httpx.AsyncClient
) -> None:
    cases = {
        "status=paid": "status must be one of succeeded, refunded, partially_refunded, "
        "disputed, dispute_won, dispute_lost, not &#39;paid&#39;",
        "kind=monthly": "kind must be one_off or recurring, not &#39;monthly&#39;",
        "currency=euro": "currency must be a three-letter code like eur, not &#39;euro&#39;",
        "currency=%E2%82%AC12": "currency must be a three-letter code like eur",
        "source=" + "x" * 501: "source must be at most 500 characters",
        "search=ana%40example.org": "search takes a Stripe id starting pi_, ch_, in_, cs_, "
        "cus_, sub_, or the last four digits of a card, not &#39;ana@example.org&#39;",
        "search=42": "search takes a Stripe id",
        "size=0": "size must be a whole number from 1 to 200, not &#39;0&#39;",
        "size=201": "size must be a whole number from 1 to 200",
        "size=-5": "size must be a whole number from 1 to 200",
        "after=yesterday": "after must be the cursor of a page&#39;s Next or Previous link",
        "before=99999999999999999999999-1": "before must be the cursor of a page",
        "after=1-1&before=1-1": "ask for the page after a payment or before one, not both",
        "from=2026-02-30": "from must be a date like 2026-01-31",
        "from=2026-05-01&to=2026-04-01": "from 2026-05-01 is after to",
    }
    for query, reason in cases.items():
        response = await dublin_client.get(f"/admin/payments?{query}", auth=AUTH)
        assert (response.status_code, reason in response.text) == (400, True), (
            query,
            response.status_code,
            re.findall(r'class="error">([^<]*)', response.text),
        )


# --- the supporter page ------------------------------------------------------------------------


async def supporter_audit(db: Database) -> list[tuple[str, str | None]]:
    async with db.session() as session:
        found = await session.exec(
            select(AuditLog)
            .where(AuditLog.actor == NAME, AuditLog.action == "supporter_viewed")
            .order_by(col(AuditLog.id))
        )
        return [(row.action, row.detail) for row in found]


def from_our_page(settings: Settings) -> dict[str, str]:
    """What a browser sends with the form posted from /admin/supporters."""
    return {"Origin": settings.SITE_URL}


@pytest.mark.asyncio
async def test_a_supporter_found_by_email_with_all_they_gave_audited(
    known: Known, year: Database, dublin_client: httpx.AsyncClient, dublin_settings: Settings
) -> None:
    form = await dublin_client.get("/admin/supporters", auth=AUTH)
    assert form.status_code == 200
    assert '<form class="filters" method="post" action="/admin/supporters"' in form.text
    response = await dublin_client.post(
        "/admin/supporters",
        data={"email": "LOU@example.org"},
        headers=from_our_page(dublin_settings),
        auth=AUTH,
    )
    assert response.status_code == 200
    assert "<h1>lou@example.org</h1>" in response.text
    tables = Tables(response.text).tables
    # Net: the refund and the lost dispute take back all of both gifts.
    assert tables["given"] == [
        ["EUR", "2", "€17.00", "€8.00", "€9.00", "€0.00"],
        ["GBP", "1", "£24.00", "£0.00", "£0.00", "£24.00"],
    ]
    assert [row[:5] for row in tables["memberships"]] == [
        ["2026-08-15", "£24.00", "3 months", "Active", "—"]
    ]
    subscription = known.member.subscription_id
    assert tables["memberships"][0][6] == subscription
    assert (f"{TEST_DASHBOARD}subscriptions/{subscription}", subscription) in Tables(
        response.text
    ).links
    assert [(row[1], row[2], row[3], row[4]) for row in tables["payments"]] == [
        ("Membership", "£24.00", "Succeeded", "Visa ···· 4242"),
        ("One-off", "€9.00", "Dispute lost", "Mastercard ···· 4444"),
        ("One-off", "€8.00 €8.00 refunded", "Refunded", "Visa ···· 4242"),
    ]
    # The emails the ledger's changes queued for them (donations/mail/), newest first.
    assert [row[1:] for row in tables["emails"]] == [
        ["Welcome", "—", "lou@example.org", "Queued", "—"],
        ["Receipt", "—", "lou@example.org", "Queued", "—"],
        ["Receipt", "—", "lou@example.org", "Queued", "—"],
        ["Refund", "Your refund", "lou@example.org", "Sent", "2026-12-01 10:00"],
        ["Receipt", "—", "lou@example.org", "Queued", "—"],
    ]
    (viewed,) = await supporter_audit(year)
    supporter_id = int(re.fullmatch(r"supporter (\d+) found by email", viewed[1] or "")[1])  # type: ignore[index]
    assert "lou@" not in (viewed[1] or "")
    # From a payments row: the masked email links to the same page, audited again.
    listed = await dublin_client.get(f"/admin/payments?{YEAR}&currency=gbp", auth=AUTH)
    assert (f"/admin/supporters/{supporter_id}", "l***@example.org") in Tables(listed.text).links
    again = await dublin_client.get(f"/admin/supporters/{supporter_id}", auth=AUTH)
    assert again.status_code == 200 and "<h1>lou@example.org</h1>" in again.text
    # An old link with the email in it: sent on to the id's page, the email left behind.
    old_link = await dublin_client.get("/admin/supporters?email=lou%40example.org", auth=AUTH)
    assert (old_link.status_code, old_link.headers["location"]) == (
        303, f"/admin/supporters/{supporter_id}",
    )  # fmt: skip
    assert "lou" not in old_link.text
    assert await supporter_audit(year) == [
        ("supporter_viewed", f"supporter {supporter_id} found by email"),
        ("supporter_viewed", f"supporter {supporter_id}"),
    ]


@pytest.mark.asyncio
async def test_the_supporter_page_refuses_bad_input_and_strangers(
    known: Known, year: Database, dublin_client: httpx.AsyncClient, dublin_settings: Settings
) -> None:
    cases = {
        "/admin/supporters?email=lou": (400, "email must be an address like ana@example.org"),
        "/admin/supporters?email=" + "a" * 250 + "%40example.org": (400, "email must be"),
        "/admin/supporters?email=nobody%40example.org": (404, "no supporter with that email"),
        "/admin/supporters/999999": (404, "no supporter 999999"),
        "/admin/supporters/abc": (400, "a supporter&#39;s id is a whole number"),
        "/admin/supporters/" + "9" * 30: (400, "a supporter&#39;s id is a whole number"),
    }
    for path, (status, reason) in cases.items():
        response = await dublin_client.get(path, auth=AUTH)
        assert (response.status_code, reason in response.text) == (status, True), path
    ours = from_our_page(dublin_settings)
    posted = {
        "lou": (ours, 400, "email must be an address like ana@example.org"),
        "nobody@example.org": (ours, 404, "no supporter with that email"),
        " ": (ours, 400, "type the supporter&#39;s email"),
        # From another site's page (a forged form), or with neither Origin nor Referer.
        "lou@example.org": ({"Origin": "https://elsewhere.example"}, 403, "this site&#39;s own"),
        "LOU@example.org": ({}, 403, "can only be sent from this site&#39;s own pages"),
    }
    for email, (headers, status, reason) in posted.items():
        response = await dublin_client.post(
            "/admin/supporters", data={"email": email}, headers=headers, auth=AUTH
        )
        assert (response.status_code, reason in response.text) == (status, True), email
        # The answer never repeats what was typed.
        assert not email.strip() or email.lower() not in response.text.lower(), email
    no_field = await dublin_client.post("/admin/supporters", headers=ours, auth=AUTH)
    assert (no_field.status_code, "type the supporter&#39;s email" in no_field.text) == (400, True)
    # An empty ?email= is the form, as before.
    empty = await dublin_client.get("/admin/supporters?email=", auth=AUTH)
    assert (empty.status_code, "<h1>Find a supporter</h1>" in empty.text) == (200, True)
    # Nothing shown, nothing audited; and no page without a login.
    assert await supporter_audit(year) == []
    assert (await dublin_client.get("/admin/supporters?email=lou%40example.org")).status_code == 401
    stranger = await dublin_client.post(
        "/admin/supporters", data={"email": "lou@example.org"}, headers=ours
    )
    assert stranger.status_code == 401


# --- anonymous givers --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_anonymous_giver_is_marked_on_both_pages_and_in_the_csv(
    known: Known, year: Database, dublin_client: httpx.AsyncClient
) -> None:
    quiet = se.one_off_gift(
        1300, "eur", at("2026-09-01T10:00:00"), "noor@example.org", choices={"anonymous": "true"}
    )
    responses = await deliver_all(dublin_client, quiet.events, TEST_WEBHOOK_SECRET)
    assert [r.status_code for r in responses if r.status_code != 200] == []

    listed = await dublin_client.get(f"/admin/payments?{YEAR}&currency=eur", auth=AUTH)
    who = {row[2]: row[6] for row in Tables(listed.text).tables["payments"]}
    assert (who["€13.00"], who["€9.00"]) == ("n***@example.org anonymous", "l***@example.org")

    export = await dublin_client.get(f"/admin/export/payments.csv?{YEAR}", auth=AUTH)
    header, *lines = export.text.splitlines()
    # The columns programs read by position, then the new one at the end.
    assert header == "paid_at,kind,amount,currency,source,email,anonymous"
    # Every other row's is empty.
    assert [line for line in lines if not line.endswith(",")] == [
        "2026-09-01T10:00:00Z,one_off,13.00,eur,,n***@example.org,yes"
    ]

    page = await dublin_client.get(
        await supporter_link(dublin_client, "n***@example.org"), auth=AUTH
    )
    assert [row[1] for row in Tables(page.text).tables["payments"]] == ["One-off anonymous"]


async def supporter_link(client: httpx.AsyncClient, masked: str) -> str:
    listed = await client.get(f"/admin/payments?{YEAR}", auth=AUTH)
    (href,) = {href for href, text in Tables(listed.text).links if text == masked}
    return href
