"""Reading: list pages the way `auto_paging_iter()` expects them, and `expand[]`.

list_events(store, params)       GET /v1/events: newest first, cursor paging, filters
list_balance_transactions(store, params)   GET /v1/balance_transactions: payout, type,
                                 source, currency, created
list_payouts(store, params)      GET /v1/payouts: status, created, arrival_date, destination
list_subscriptions(store, params)  GET /v1/subscriptions: customer, status, created
page(objects, url, params, ...)  a {"object": "list", "data", "has_more", "url"} page
newest_first(objects)            Stripe's list order: by `created`, the later made first
expand(store, obj, paths)        replace ids at "a.b.c" by the objects they name (lists:
                                 "data.source")

Every list is newest first, `limit` 1..100 (default 10), `starting_after` / `ending_before`
cursors and `has_more`, as https://docs.stripe.com/api/pagination describes.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from stripe_emulator import payouts, shapes
from stripe_emulator.errors import invalid_param, no_such
from stripe_emulator.state import Json, Store

TYPE_AND_TYPES = "You may only specify one of these parameters: type, types."
NOT_EMULATED = "stripe_emulator does not emulate `{param}` on this list."
# Subscription statuses a list without `status` leaves out (Stripe lists all but canceled),
# and what `status=ended` lists.
_ENDED = frozenset({"canceled", "incomplete_expired"})
LIMIT_RANGE = "This value must be between 1 and 100."
CURSORS = "You may only specify one of these parameters: ending_before, starting_after."
NOT_EXPANDABLE = "This property cannot be expanded ({path})."


def list_events(store: Store, params: Json) -> Json:
    if "type" in params and "types" in params:
        raise invalid_param(TYPE_AND_TYPES, "types")
    created = params.get("created")
    type_pattern = params.get("type")
    types = set(params.get("types", []))

    def wanted(event: Json) -> bool:
        if type_pattern is not None and not fnmatch.fnmatchcase(event["type"], type_pattern):
            return False
        if types and event["type"] not in types:
            return False
        return _in_range(event["created"], created)

    # Newest first: by `created`, and among equals the later-made first, like Stripe.
    newest_first = sorted(
        enumerate(store.events), key=lambda pair: (pair[1]["created"], pair[0]), reverse=True
    )
    return page([e for _, e in newest_first], "/v1/events", params, wanted, kind="event")


def list_balance_transactions(store: Store, params: Json) -> Json:
    members = None if "payout" not in params else payouts.members(store, params["payout"])
    filters = {k: params[k] for k in ("type", "source") if k in params}
    currency = params.get("currency", "").lower()

    def wanted(txn: Json) -> bool:
        return (
            (members is None or txn["id"] in members)
            and all(txn[k] == v for k, v in filters.items())
            and (not currency or txn["currency"] == currency)
            and _in_range(txn["created"], params.get("created"))
        )

    found = newest_first(store.by_type.get("balance_transaction", {}).values())
    return page(found, "/v1/balance_transactions", params, wanted, kind="balance_transaction")


def list_payouts(store: Store, params: Json) -> Json:
    def wanted(payout: Json) -> bool:
        return (
            params.get("status", payout["status"]) == payout["status"]
            and params.get("destination", payout["destination"]) == payout["destination"]
            and _in_range(payout["created"], params.get("created"))
            and _in_range(payout["arrival_date"], params.get("arrival_date"))
        )

    found = newest_first(store.by_type.get("payout", {}).values())
    return page(found, "/v1/payouts", params, wanted, kind="payout")


def list_subscriptions(store: Store, params: Json) -> Json:
    for param in params:
        if param not in _SUBSCRIPTION_FILTERS:
            raise invalid_param(NOT_EMULATED.format(param=param), param)
    status = params.get("status")

    def wanted(sub: Json) -> bool:
        ended = sub["status"] in _ENDED
        if (status is None and ended) or (status == "ended" and not ended):
            return False
        return (
            status in (None, "all", "ended", sub["status"])
            and params.get("customer", sub["customer"]) == sub["customer"]
            and _in_range(sub["created"], params.get("created"))
        )

    found = newest_first(store.by_type.get("subscription", {}).values())
    return page(found, "/v1/subscriptions", params, wanted, kind="subscription")


_SUBSCRIPTION_FILTERS = frozenset(
    {"customer", "status", "created", "limit", "starting_after", "ending_before", "expand"}
)


def newest_first(objects: Any) -> list[Json]:
    ordered: list[Json] = list(objects)
    pairs = sorted(enumerate(ordered), key=lambda p: (p[1]["created"], p[0]), reverse=True)
    return [obj for _, obj in pairs]


def page(
    objects: list[Json], url: str, params: Json, wanted: Any = None, *, kind: str = "object"
) -> Json:
    """One page of `objects` (already in list order) after the params' cursor."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid_param(LIMIT_RANGE, "limit")
    after, before = params.get("starting_after"), params.get("ending_before")
    if after is not None and before is not None:
        raise invalid_param(CURSORS, "ending_before")
    ids = [o["id"] for o in objects]
    keep = [i for i, o in enumerate(objects) if wanted is None or wanted(o)]
    if after is not None:
        cursor = _position(ids, after, kind, "starting_after")
        keep = [i for i in keep if i > cursor]
        chosen, has_more = keep[:limit], len(keep) > limit
    elif before is not None:
        cursor = _position(ids, before, kind, "ending_before")
        keep = [i for i in keep if i < cursor]
        chosen, has_more = keep[-limit:], len(keep) > limit
    else:
        chosen, has_more = keep[:limit], len(keep) > limit
    return {
        "object": "list",
        "data": [objects[i] for i in chosen],
        "has_more": has_more,
        "url": url,
    }


def expand(store: Store, obj: Json, paths: list[str]) -> Json:
    """A copy of `obj` with each dotted path's id replaced by the object (Stripe: 4 levels)."""
    result: Json = shapes.clone(obj)
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid_param(NOT_EXPANDABLE.format(path=path), "expand")
        _expand(store, result, parts, path)
    return result


def _expand(store: Store, node: Any, parts: list[str], path: str) -> None:
    if isinstance(node, dict) and node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand(store, item, parts[1:], path)
        return
    include = _INCLUDABLE.get((node.get("object"), parts[0])) if isinstance(node, dict) else None
    if include is not None and len(parts) == 1:
        node[parts[0]] = include(store, node)
        return
    if not isinstance(node, dict) or parts[0] not in node:
        raise invalid_param(NOT_EXPANDABLE.format(path=path), "expand")
    value = node[parts[0]]
    if isinstance(value, str):
        target = store.objects.get(value)
        if target is None:
            raise invalid_param(NOT_EXPANDABLE.format(path=path), "expand")
        value = node[parts[0]] = shapes.clone(target)
    if len(parts) > 1 and value is not None:
        _expand(store, value, parts[1:], path)


def _session_line_items(store: Store, session: Json) -> Json:
    items = store.sessions[session["id"]].line_items
    return page(items, f"/v1/checkout/sessions/{session['id']}/line_items", {})


def _invoice_payments(store: Store, invoice: Json) -> Json:
    payments = store.find("invoice_payment", invoice=invoice["id"])
    return page(payments, f"/v1/invoice_payments?invoice={invoice['id']}", {"limit": 100})


# Fields that are absent until asked for: Stripe includes them only through expand[].
_INCLUDABLE: dict[tuple[Any, str], Callable[[Store, Json], Json]] = {
    ("checkout.session", "line_items"): _session_line_items,
    ("invoice", "payments"): _invoice_payments,
}


def _position(ids: list[str], id: str, kind: str, param: str) -> int:
    try:
        return ids.index(id)
    except ValueError:
        raise no_such(kind, id, param) from None


def _in_range(value: int, created: Any) -> bool:
    if created is None:
        return True
    if isinstance(created, int):
        return value == created
    bounds: dict[str, int] = created
    return (
        value >= bounds.get("gte", value)
        and value > bounds.get("gt", value - 1)
        and value <= bounds.get("lte", value)
        and value < bounds.get("lt", value + 1)
    )


__all__ = [
    "expand",
    "list_balance_transactions",
    "list_events",
    "list_payouts",
    "list_subscriptions",
    "newest_first",
    "page",
]
