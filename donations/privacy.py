"""Personal data in the Stripe events we keep, and how it is taken out of them.

    redact_event(event, chase=(), keep_identity=False) -> the event, personal fields emptied
    personal_values(event)            -> the names, emails, phones, street lines it carries
    redact_text(text, values, all_emails=) -> free text with those values (and emails) replaced
    redact_json_text(text, values)    -> the same on the strings of a JSON document

Pure functions on JSON: the inbox (`stripe_event.payload`) keeps each event as Stripe sent it,
which is a copy of the reader's name, email, address and phone that the ledger does not need
once the event is booked. `donations supporters erase` (donations/erasure.py) and
`donations privacy purge` (donations/retention.py) store what these return.

What is personal is listed per Stripe object type in PERSONAL_FIELDS, from each object's API
reference (https://docs.stripe.com/api), and by field name in PERSONAL_ANYWHERE for the nested
hashes that carry no `object` of their own and for types not listed. A personal field keeps
its shape: every string and number in it becomes null, while what the ledger is built from
(STRUCTURE: ids, amounts, currencies, statuses, timestamps, the objects an id points to) stays.
An expanded object (`"customer": {"object": "customer", ...}`) is redacted by its own type's
list. Metadata keeps only the keys we read (donations/checkout/metadata.py): Stripe objects carry other
integrations' metadata too, and Stripe's own redaction drops metadata as well
(https://docs.stripe.com/privacy/redaction).

Strings are emptied to null, not to Stripe's "[redacted]": the ledger reads a null email as
"no email", where a placeholder would look like one address shared by every redacted reader.
Then the values taken out are chased through the rest of the event's free text (a
description that repeats the reader's name), so no copy survives elsewhere in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from donations.checkout.metadata import ATTRIBUTION, CHECKOUT_ID, FREQUENCY, SOURCE

Json = dict[str, Any]

REDACTED = "[redacted]"
# The metadata keys the ledger reads; every other key is dropped.
KEPT_METADATA = frozenset(
    {CHECKOUT_ID, FREQUENCY, SOURCE, "fee_covered", "anonymous", "newsletter", "tribute",
     *ATTRIBUTION}
)  # fmt: skip
# The giver's own words, which the ledger reads too: kept by retention (so that the inbox
# books the same ledger again), dropped by erasure, as the ledger's copy is.
GIVERS_WORDS = frozenset({"tribute_name", "reason"})

# An object type whose every field (but STRUCTURE) describes a person or their payment method.
WHOLE = frozenset({"*"})

# Per object type, the fields that hold personal data. A dotted name is a field inside a hash.
PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    # https://docs.stripe.com/api/checkout/sessions/object: what the reader typed on Checkout.
    # `shipping_details` moved into `collected_information` in 2025-03-31.basil, and was
    # `shipping` before 2022-08-01; events in older versions still carry them.
    "checkout.session": frozenset(
        {
            "collected_information",
            "custom_fields",
            "customer_details",
            "customer_email",
            "shipping",
            "shipping_details",
        }
    ),
    # https://docs.stripe.com/api/payment_intents/object. `next_action` holds bank-transfer
    # references and voucher pages made out to the reader; `payment_details` the newsroom's
    # own reference for the customer.
    "payment_intent": frozenset({"next_action", "payment_details", "receipt_email", "shipping"}),
    # https://docs.stripe.com/api/charges/object. `payment_method_details` names the card or
    # account (last4, expiry, fingerprint, IBAN digits, payer emails); `receipt_url` opens a
    # receipt to whoever holds the link.
    "charge": frozenset(
        {"billing_details", "payment_method_details", "receipt_email", "receipt_url", "shipping"}
    ),
    # https://docs.stripe.com/api/invoices/object: the customer's details frozen onto the
    # invoice, and links that open it (with them) to anyone.
    "invoice": frozenset(
        {
            "custom_fields",
            "customer_address",
            "customer_email",
            "customer_name",
            "customer_phone",
            "customer_shipping",
            "customer_tax_ids",
            "hosted_invoice_url",
            "invoice_pdf",
            "shipping_details",
        }
    ),
    # https://docs.stripe.com/api/subscriptions/object: what a member wrote when cancelling.
    "subscription": frozenset({"cancellation_details.comment"}),
    # https://docs.stripe.com/api/customers/object
    "customer": frozenset(
        {
            "address",
            "business_name",
            "description",
            "email",
            "individual_name",
            "invoice_settings.custom_fields",
            "name",
            "phone",
            "preferred_locales",
            "shipping",
            "tax",
            "tax_ids",
        }
    ),
    # https://docs.stripe.com/api/refunds/object: where the money went back to (bank
    # references) and the email Stripe asked for the reader's account details at.
    "refund": frozenset({"destination_details", "instructions_email", "next_action"}),
    # https://docs.stripe.com/api/disputes/object: the evidence names the reader (name, email,
    # billing and shipping address, IP, signature, their messages), enhanced evidence too.
    "dispute": frozenset({"evidence"}),
    # https://docs.stripe.com/api/invoice-payment/object: amounts and ids only.
    "invoice_payment": frozenset(),
    # A payment method and the legacy sources are the reader's card or account.
    "payment_method": WHOLE,
    "source": WHOLE,
    "card": WHOLE,
    "bank_account": WHOLE,
    "tax_id": WHOLE,
    # https://docs.stripe.com/api/mandates/object: the IP and browser that accepted it.
    "mandate": frozenset({"customer_acceptance", "payment_method_details"}),
}

# Field names that hold personal data in whatever object or hash they appear.
PERSONAL_ANYWHERE = frozenset(
    {
        "account_holder_name",
        "address",
        "billing_address",
        "billing_details",
        "cardholder_name",
        "custom_fields",
        "customer_address",
        "customer_details",
        "customer_email",
        "customer_email_address",
        "customer_name",
        "customer_phone",
        "customer_purchase_ip",
        "customer_shipping",
        "customer_tax_ids",
        "dynamic_last4",
        "email",
        "email_sent_to",
        "exp_month",
        "exp_year",
        "fingerprint",
        "iban_last4",
        "individual_name",
        "instructions_email",
        "ip_address",
        "last4",
        "owner",
        "payer_email",
        "payer_name",
        "phone",
        "receipt_email",
        "shipping",
        "shipping_address",
        "shipping_details",
        "tax_ids",
        "user_agent",
        "verified_address",
        "verified_email",
        "verified_name",
        "verified_phone",
    }
)

# Kept inside a personal field too: what the ledger and its reports are built from (with
# every field about an amount, and every `*_at` timestamp: see `_structural`).
STRUCTURE = frozenset(
    {
        "charge",
        "created",
        "currency",
        "customer",
        "id",
        "invoice",
        "livemode",
        "object",
        "payment_intent",
        "status",
        "subscription",
        "type",
    }
)

# The values worth chasing elsewhere: what identifies a person (a city or a country does
# not, and chasing it would blank a campaign named after the city).
_IDENTIFYING_KEY = re.compile(r"(email|name|phone|line1|line2|address|_ip|^value)$|email")
# Shorter values would match inside ordinary words.
MIN_CHASED_LENGTH = 4
# Quotes delimit values in error texts, so an address is taken to start after one.
_EMAIL = re.compile(r"[\w.!#$%&*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_ALNUM_AFTER = r"(?![0-9A-Za-z])"


def redact_event(event: Json, *, chase: Iterable[str] = (), keep_identity: bool = False) -> Json:
    """The event with every personal field emptied and the values taken out (with `chase`)
    replaced wherever else they appear as text. `keep_identity`: a completed Checkout Session
    that names no Stripe customer keeps its email, the only key that ties its payment to a
    supporter when the event is processed again (retention keeps it; erasure does not), and
    the metadata keeps the giver's own words (a dedication, a reason) for the same reason."""
    return _Redaction(event, keep_identity=keep_identity).result(chase)


def personal_values(event: Json) -> frozenset[str]:
    """The names, emails, phones, street lines and IPs the event carries."""
    return frozenset(_Redaction(event, keep_identity=False).taken)


def redact_text(text: str, values: Iterable[str], *, all_emails: bool = False) -> str:
    """`text` with each of `values` (whole words, any case) replaced; with `all_emails`, every
    email address too (an error message quotes whatever the failed statement carried)."""
    pattern = _pattern(values)
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    return _EMAIL.sub(REDACTED, text) if all_emails else text


def redact_json_text(text: str, values: Iterable[str]) -> str:
    """`redact_text` on the strings of a JSON document, numbers untouched (a chased postal
    code must not turn a stored total into text); plain text if it is not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return redact_text(text, values)
    pattern = _pattern(values)
    if pattern is None:
        return text
    redacted = _substitute(document, pattern, skip_structure=False)
    return text if redacted == document else json.dumps(redacted)


class _Redaction:
    def __init__(self, event: Json, *, keep_identity: bool) -> None:
        self.keep_identity = keep_identity
        self.taken: set[str] = set()
        # Emails kept by `keep_identity`: never chased, even where another field repeats them.
        self.kept: set[str] = set()
        self.event: Json = self._walk(event, None)

    def result(self, chase: Iterable[str]) -> Json:
        kept = {value.casefold() for value in self.kept}
        pattern = _pattern(v for v in (*self.taken, *chase) if v.casefold() not in kept)
        if pattern is None:
            return self.event
        redacted: Json = _substitute(self.event, pattern, skip_structure=True)
        return redacted

    def _walk(self, node: Any, type_hint: str | None) -> Any:
        if isinstance(node, list):
            return [self._walk(item, type_hint) for item in node]
        if not isinstance(node, dict):
            return node
        own_type = node.get("object")
        object_type = own_type if isinstance(own_type, str) else type_hint
        fields = PERSONAL_FIELDS.get(str(object_type), frozenset())
        if fields is WHOLE:
            return self._empty(node, None)
        nested = _nested(fields)
        keep_email = self.keep_identity and _only_email_identifies(object_type, node)
        walked: Json = {}
        for key, value in node.items():
            if key == "metadata":
                walked[key] = _kept_metadata(value, words=self.keep_identity)
            elif key in nested and isinstance(value, dict):
                walked[key] = self._walk_hash(value, nested[key])
            elif key in fields or key in PERSONAL_ANYWHERE:
                walked[key] = self._empty(value, key, keep_email=keep_email)
            elif key == "previous_attributes" and isinstance(own_type, dict):
                # `data.previous_attributes` of an `*.updated` event: old values of the
                # object's own fields, without an `object` of their own.
                walked[key] = self._walk(value, own_type.get("object"))
            else:
                walked[key] = self._walk(value, None)
        return walked

    def _walk_hash(self, node: Json, fields: frozenset[str]) -> Json:
        """A hash some of whose fields are personal (`cancellation_details.comment`)."""
        return {
            key: self._empty(value, key) if key in fields else self._walk(value, None)
            for key, value in node.items()
        }

    def _empty(self, node: Any, key: str | None, *, keep_email: bool = False) -> Any:
        """A personal field: strings and numbers to null, shape and STRUCTURE kept."""
        if isinstance(node, list):
            return [self._empty(item, key, keep_email=keep_email) for item in node]
        if isinstance(node, dict):
            emptied: Json = {}
            for name, value in node.items():
                if name == "metadata":
                    emptied[name] = _kept_metadata(value, words=self.keep_identity)
                elif _structural(name) and isinstance(value, dict | list):
                    # An expanded object under a personal field: its own type decides.
                    emptied[name] = self._walk(value, None)
                elif _structural(name):
                    emptied[name] = value
                else:
                    emptied[name] = self._empty(value, name, keep_email=keep_email)
            return emptied
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, str):
            if keep_email and key == "email":
                self.kept.add(node)
                return node
            if key is not None and _IDENTIFYING_KEY.search(key):
                self.taken.add(node)
        return None


def _only_email_identifies(object_type: str | None, node: Json) -> bool:
    """A completed Checkout Session with no customer (a Payment Link that creates none): its
    email is all that finds the supporter of the payment it books."""
    return (
        object_type == "checkout.session"
        and node.get("customer") is None
        and node.get("status") == "complete"
    )


def _structural(key: str) -> bool:
    return key in STRUCTURE or "amount" in key or key.endswith("_at")


def _nested(fields: frozenset[str]) -> dict[str, frozenset[str]]:
    """`{"a.b", "a.c"}` -> `{"a": {"b", "c"}}`."""
    nested: dict[str, set[str]] = {}
    for field in fields:
        if "." in field:
            outer, inner = field.split(".", 1)
            nested.setdefault(outer, set()).add(inner)
    return {outer: frozenset(inner) for outer, inner in nested.items()}


def _kept_metadata(value: Any, *, words: bool) -> Any:
    if not isinstance(value, dict):
        return value
    kept = KEPT_METADATA | GIVERS_WORDS if words else KEPT_METADATA
    return {key: item for key, item in value.items() if key in kept}


def _pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    chased = sorted(
        {value.strip() for value in values if len(value.strip()) >= MIN_CHASED_LENGTH},
        key=len,
        reverse=True,
    )
    if not chased:
        return None
    alternatives = "|".join(re.escape(value) for value in chased)
    return re.compile(f"{_ALNUM_BEFORE}(?:{alternatives}){_ALNUM_AFTER}", re.IGNORECASE)


def _substitute(node: Any, pattern: re.Pattern[str], *, skip_structure: bool) -> Any:
    """Replace chased values in every string; with `skip_structure`, not in ids, statuses,
    amounts, timestamps or the metadata the ledger reads."""
    if isinstance(node, list):
        return [_substitute(item, pattern, skip_structure=skip_structure) for item in node]
    if isinstance(node, dict):
        substituted: Json = {}
        for key, value in node.items():
            scalar = not isinstance(value, dict | list)
            if skip_structure and (key == "metadata" or (scalar and _structural(key))):
                substituted[key] = value
            else:
                substituted[key] = _substitute(value, pattern, skip_structure=skip_structure)
        return substituted
    if isinstance(node, str):
        return pattern.sub(REDACTED, node)
    return node
