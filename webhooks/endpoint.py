"""POST /webhooks/stripe: where Stripe delivers events.

- A body over 1 MiB: 413, read no further.
- A missing or invalid `Stripe-Signature`, a timestamp more than 300 s old or ahead, a body
  that is not a snapshot event (or nested too deeply to read): 400
  `{"received": false, "error": "<reason>"}`, nothing stored, a log line without the payload.
- A verified event is stored in the inbox once and processed (webhooks/inbox.py):
  200 `{"received": true}`; an event already processed: 200
  `{"received": true, "duplicate": true}`; a type we do not read or the other mode's event:
  stored as ignored, 200 `{"received": true, "ignored": true}`.
- An event a handler cannot read (a field missing, or in a shape Stripe never sent: an amount
  of "12" or 12.99): 422 `{"received": false, "error": "<what and where>"}`; the event is kept
  as failed with that reason, the ledger untouched, for `donations webhooks replay` once the
  code reads it.
- Any other handler error: 500 `{"received": false, "error": "processing failed"}` so that
  Stripe retries (https://docs.stripe.com/webhooks#retries); the event is kept as failed.
Stripe retries every answer but 2xx; the status says whose mistake it was.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from donations.state import app_state
from donations.stripe_api import webhook_secret
from webhooks.inbox import EventOutcome, receive
from webhooks.verification import Refused, verify

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = "body over 1 MiB"
BAD_LENGTH = "invalid Content-Length"
PROCESSING_FAILED = "processing failed"


async def stripe_webhook(request: Request) -> Response:
    state = app_state(request)
    length = request.headers.get("content-length")
    if length is not None and not length.isdigit():
        return _refuse(400, BAD_LENGTH)
    if length is not None and int(length) > MAX_BODY_BYTES:
        return _refuse(413, TOO_LARGE)
    body = await _read_at_most(request, MAX_BODY_BYTES)
    if body is None:
        return _refuse(413, TOO_LARGE)
    try:
        event, payload = verify(
            body, request.headers.get("stripe-signature"), webhook_secret(state.settings)
        )
    except Refused as refused:
        return _refuse(400, refused.reason)
    receipt = await receive(state.db, event, payload, livemode=state.settings.stripe_livemode)
    if receipt.outcome == EventOutcome.failed:
        if receipt.unreadable:
            return _refuse(422, receipt.error or PROCESSING_FAILED)
        return JSONResponse({"received": False, "error": PROCESSING_FAILED}, status_code=500)
    if receipt.outcome == EventOutcome.duplicate:
        return JSONResponse({"received": True, "duplicate": True})
    if receipt.outcome == EventOutcome.ignored:
        return JSONResponse({"received": True, "ignored": True})
    return JSONResponse({"received": True})


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (Content-Length can be absent,
    with chunked encoding, or wrong)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse(status_code: int, reason: str) -> JSONResponse:
    logger.warning("webhook refused", extra={"status": status_code, "reason": reason})
    return JSONResponse({"received": False, "error": reason}, status_code=status_code)


routes: list[BaseRoute] = [Route("/webhooks/stripe", stripe_webhook, methods=["POST"])]
