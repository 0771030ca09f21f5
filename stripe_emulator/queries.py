"""Reading: list pages the way `auto_paging_iter()` expects them, and `expand[]`.

list_events(store, params)       GET /v1/events: newest first, cursor paging, filters
page(objects, url, params, ...)  a {"object": "list", "data", "has_more", "url"} page
expand(store, obj, paths)        replace ids at "a.b.c" by the objects they name
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from stripe_emulator import shapes
from stripe_emulator.errors import invalid_param, no_such
from stripe_emulator.state import Json, Store

TYPE_AND_TYPES = "You may only specify one of these parameters: type, types."
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


__all__ = ["expand", "list_events", "page"]
