"""/admin/payouts: the payouts explained and the mismatches, for finance, behind the login."""

from __future__ import annotations

import httpx
import pytest

from donations.db import Database
from donations.staff import add_staff
from tests.payouts.factories import a_month_of_payouts

AUTH = ("ana", "correct horse battery")
MARCH = "from=2026-03-01&to=2026-03-31"


async def _ana(db: Database) -> None:
    async with db.session() as session:
        await add_staff(session=session, name=AUTH[0], password=AUTH[1], actor="test")


@pytest.mark.asyncio
async def test_the_payouts_page_explains_each_payout_and_lists_every_mismatch(
    db: Database, client: httpx.AsyncClient
) -> None:
    await _ana(db)
    month = await a_month_of_payouts(db)
    assert (await client.get(f"/admin/payouts?{MARCH}")).status_code == 401
    response = await client.get(f"/admin/payouts?{MARCH}", auth=AUTH)
    assert response.status_code == 200
    page = response.text
    # The euro payout: €39.78 of €41.00 one-off and €10.00 recurring, less €5.00 refunded,
    # €16.00 disputed and €19.22 of fees, and €29.00 of other movements; nothing unaccounted.
    for text in ("€39.78", "€41.00", "€10.00", "-€5.00", "-€16.00", "-€19.22", "€29.00",
                 "1 not in the ledger", "£11.57", "-£0.43", "explained",
                 "not fetched yet", "3 mismatches", month.unbooked_charge,
                 month.unpaid_gift.payment_intent_id):  # fmt: skip
        assert text in page, text
    assert "default-src 'none'" in response.headers["content-security-policy"]


@pytest.mark.asyncio
async def test_one_payout_is_shown_line_by_line_and_an_unknown_one_is_404(
    db: Database, client: httpx.AsyncClient
) -> None:
    await _ana(db)
    month = await a_month_of_payouts(db)
    response = await client.get(f"/admin/payouts?payout={month.gbp.id}", auth=AUTH)
    assert response.status_code == 200
    for text in (f"Payout {month.gbp.id}, line by line", "£12.00", "£0.43", "£11.57", "-£11.57",
                 "(one_off)"):  # fmt: skip
        assert text in response.text, text
    missing = await client.get("/admin/payouts?payout=po_<b>nothing</b>", auth=AUTH)
    assert missing.status_code == 404
    assert "no balance transactions stored for payout" in missing.text
    assert "<b>nothing</b>" not in missing.text
