"""The links in messages to readers.

    GET /mail/card/{membership}?until=&sig=   303 to Stripe's billing portal, card update
                                              (donations/mail/links.py signs and checks it)

A link that is forged, altered or out of date is a 404 page saying how to reach the portal
another way; Stripe unreachable, a 503 saying to try again.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from donations.mail import links
from donations.state import app_state

EXPIRED = (
    "<!doctype html><title>Link expired</title><p>This link is not valid any more. "
    "Use the link in your latest message from us, or reply to it and we will help.</p>"
)
UNAVAILABLE = (
    "<!doctype html><title>Try again</title><p>We could not open the page to update your "
    "card just now. Please try again in a few minutes.</p>"
)


async def card_update(request: Request) -> Response:
    state = app_state(request)
    membership = request.path_params["membership"]
    until, sig = request.query_params.get("until", ""), request.query_params.get("sig", "")
    if not until.isdigit() or not links.valid(state.settings, membership, int(until), sig):
        return HTMLResponse(EXPIRED, status_code=404)
    url = await links.card_update_portal(state, membership)
    if url is None:
        return HTMLResponse(UNAVAILABLE, status_code=503)
    return RedirectResponse(url, status_code=303)


routes = [Route("/mail/card/{membership:int}", card_update, methods=["GET"])]
