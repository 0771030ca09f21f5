"""A reader's whole history with the newsroom, with their details where Stripe puts them, and
a search of every text column of the database for what is left of them.

    Reader(name, email, ...)                   who; `terms` are what must not survive erasure
    as_stripe_sends(event, reader) -> event    name, phone, address, shipping, billing details,
                                               dispute evidence, as Stripe's objects carry them
    history(reader, start=) -> History         gifts, a membership with renewals, a refund, a
                                               dispute, a failed delayed gift, an expired checkout
    await traces(db, terms) -> {(table, column): {term, ...}}   every text column, reflected
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, MetaData, String, select

import stripe_events as se
from donations.db import Database

Json = dict[str, Any]
DAY = se.DAY
# The object types `as_stripe_sends` fills in.
PERSONAL_OBJECTS = {"checkout.session", "payment_intent", "charge", "invoice", "dispute"}


@dataclass(frozen=True)
class Reader:
    name: str
    email: str
    street: str
    phone: str
    city: str = "Berlin"
    postal_code: str = "10119"
    ip: str = "203.0.113.7"

    @property
    def address(self) -> Json:
        return {
            "city": self.city,
            "country": "DE",
            "line1": self.street,
            "line2": "Hinterhaus, 3. OG",
            "postal_code": self.postal_code,
            "state": None,
        }

    @property
    def terms(self) -> set[str]:
        """Their name, email, street, phone and IP, also as JSON escapes them
        (`json.dumps` writes "ó" as "\\u00f3")."""
        plain = {self.name, self.email, self.street, self.phone, self.ip}
        return plain | {json.dumps(term)[1:-1] for term in plain}


def as_stripe_sends(event: Json, reader: Reader) -> Json:
    """`event` with the reader's details in every field Stripe fills for its object."""
    obj = event["data"]["object"]
    kind = obj["object"]
    address = reader.address
    shipping = {"address": address, "name": reader.name, "phone": reader.phone}
    if kind == "checkout.session":
        if obj.get("customer_details") is not None:
            obj["customer_details"].update(name=reader.name, phone=reader.phone, address=address)
        obj["collected_information"] = {
            "business_name": None,
            "individual_name": reader.name,
            "shipping_details": {"address": address, "name": reader.name},
        }
        obj["custom_fields"] = [
            {
                "key": "dedication",
                "label": {"custom": "Dedication", "type": "custom"},
                "optional": True,
                "type": "text",
                "text": {
                    "default_value": None,
                    "maximum_length": None,
                    "minimum_length": None,
                    "value": f"In memory of {reader.name}'s father",
                },
            }
        ]
    elif kind == "payment_intent":
        obj["receipt_email"] = reader.email
        obj["shipping"] = {**shipping, "carrier": None, "tracking_number": None}
    elif kind == "charge":
        obj["billing_details"] = {**shipping, "email": reader.email, "tax_id": None}
        obj["receipt_email"] = reader.email
        obj["description"] = f"Contribution from {reader.name}"
    elif kind == "invoice":
        obj.update(
            customer_name=reader.name,
            customer_phone=reader.phone,
            customer_address=address,
            customer_shipping=shipping,
        )
    elif kind == "dispute":
        obj["evidence"].update(
            customer_name=reader.name,
            customer_email_address=reader.email,
            billing_address=f"{reader.street}, {reader.postal_code} {reader.city}",
            customer_purchase_ip=reader.ip,
            uncategorized_text=f"{reader.name} gave this herself; receipt attached.",
        )
    return event


@dataclass
class History:
    events: list[Json] = field(default_factory=list)
    gifts: list[se.Gift] = field(default_factory=list)
    membership: se.Membership | None = None


def history(reader: Reader, *, start: int = se.START, work_email: str | None = None) -> History:
    """Two card gifts (the second typed in mixed case), a monthly membership renewed twice
    (the renewals' invoices under `work_email`, as after a change in the billing portal), a
    partial refund, a chargeback, a SEPA gift that bounced, and a checkout left to expire."""
    typed = reader.email.title()
    first = se.one_off_gift(2500, "eur", start + DAY, reader.email, source="article-footer")
    second = se.one_off_gift(1000, "eur", start + 5 * DAY, typed)
    membership = se.membership_signup(
        1000, "eur", "month", start + 10 * DAY, reader.email, source="newsletter"
    )
    renewals = [se.membership_renewal(membership, start + days * DAY) for days in (40, 70)]
    if work_email is not None:
        for renewal in renewals:
            for renewal_event in renewal.union:
                if renewal_event["data"]["object"]["object"] == "invoice":
                    renewal_event["data"]["object"]["customer_email"] = work_email
    refund = se.refund(first, 500, start + 20 * DAY)
    dispute = se.dispute(second, start + 30 * DAY)
    bounced = se.failed_delayed_gift(3000, "eur", start + 50 * DAY, reader.email)
    expired = se.expired_checkout(2000, "eur", start + 60 * DAY, email=typed.upper())
    happenings: list[se.Happening] = [
        first, second, membership, *renewals, refund, dispute, bounced, expired,
    ]  # fmt: skip
    events = [as_stripe_sends(e, reader) for h in happenings for e in h.events]
    return History(events=events, gifts=[first, second, bounced], membership=membership)


async def traces(db: Database, terms: Iterable[str]) -> dict[tuple[str, str], set[str]]:
    """Where any of `terms` (any case) appears: every text and JSON column of every table,
    found by reflecting the schema the database has, not the one our models describe.
    Compared in Python: SQLite's lower() folds ASCII letters only."""
    wanted = {term.casefold() for term in terms}
    found: dict[tuple[str, str], set[str]] = {}
    async with db.engine.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | JSON):
                    continue
                values = await connection.scalars(select(column).where(column.is_not(None)))
                for found_value in values:
                    value = found_value if isinstance(found_value, str) else json.dumps(found_value)
                    hits = {term for term in wanted if term in value.casefold()}
                    if hits:
                        found.setdefault((table.name, column.name), set()).update(hits)
    return found
