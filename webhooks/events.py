"""The parts of a Stripe event the ledger reads, checked once at the door.

A snapshot event (`"object": "event"`) carries the whole object as it was when the event
happened, in `data.object` (https://docs.stripe.com/api/events/object). Thin events
(`"object": "v2.core.event"`) carry only an id to fetch: a different product we do not use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

NOT_JSON = "body is not JSON"
NOT_AN_EVENT = "body is not a Stripe event"
THIN_EVENT = "thin events are not accepted; subscribe this endpoint to snapshot events"
MAX_ID_LENGTH = 255
MAX_TYPE_LENGTH = 100


class NotAnEvent(ValueError):
    """The body is not a snapshot event; the message says why, in a few words."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created: int
    livemode: bool
    api_version: str | None
    object: Json
    previous_attributes: Json | None = None
    # Set on events from a connected account (Connect), which are not the newsroom's money.
    account: str | None = None


def parse_event(payload: str) -> Event:
    try:
        body = json.loads(payload)
    except ValueError:
        raise NotAnEvent(NOT_JSON) from None
    return event_from_dict(body)


def event_from_dict(body: object) -> Event:
    if not isinstance(body, dict):
        raise NotAnEvent(NOT_AN_EVENT)
    if body.get("object") == "v2.core.event":
        raise NotAnEvent(THIN_EVENT)
    data = body.get("data")
    event_id, event_type, created = body.get("id"), body.get("type"), body.get("created")
    if (
        body.get("object") != "event"
        or not isinstance(event_id, str)
        or not 0 < len(event_id) <= MAX_ID_LENGTH
        or not isinstance(event_type, str)
        or not 0 < len(event_type) <= MAX_TYPE_LENGTH
        or not isinstance(created, int)
        or isinstance(created, bool)
        or not isinstance(data, dict)
        or not isinstance(data.get("object"), dict)
    ):
        raise NotAnEvent(NOT_AN_EVENT)
    previous = data.get("previous_attributes")
    api_version = body.get("api_version")
    account = body.get("account")
    return Event(
        id=event_id,
        type=event_type,
        created=created,
        livemode=body.get("livemode") is True,
        api_version=api_version if isinstance(api_version, str) else None,
        object=data["object"],
        previous_attributes=previous if isinstance(previous, dict) else None,
        account=account if isinstance(account, str) and account else None,
    )


def moment(timestamp: int) -> datetime:
    """Stripe's unix seconds as an aware UTC datetime (the ledger's columns refuse naive ones)."""
    return datetime.fromtimestamp(timestamp, UTC)


def optional_moment(timestamp: object) -> datetime | None:
    return moment(timestamp) if isinstance(timestamp, int) and timestamp > 0 else None


def object_id(value: object) -> str | None:
    """An id field that may be expanded into an object (`"customer": {"id": ...}`)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None
