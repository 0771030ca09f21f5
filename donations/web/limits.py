"""What one request may cost the server in time, and what a stalled part turns into.

- BodyReadTimeout: the body must arrive within BODY_READ_TIMEOUT of the app's first read;
  past it, 408 and the connection is closed. uvicorn has no such bound, so a client sending
  one byte every few seconds would hold a connection and a task for as long as it liked.
- RequestDeadline: a request not answered within REQUEST_TIMEOUT is cancelled and answered
  504. The deadline is lifted once the response has started: a CSV export met it with its
  first row and may stream on for minutes.
- Inside both, a database that could not be reached or did not answer in time
  (donations.db.unavailable) is a 503 with Retry-After, and one log line without a traceback.

Each answer says why, in the shape of the route it replaces: the webhook's
`{"received": false, "error": ...}`, the JSON API's `{"error": {code, message, field}}`, or
a line of text for pages.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from donations.db import unavailable

logger = logging.getLogger(__name__)

BODY_TOO_SLOW = "body_timeout"
DEADLINE = "timeout"
DATABASE_DOWN = "database_unavailable"
_MESSAGES = {
    BODY_TOO_SLOW: "The request body did not arrive within {seconds:g} s.",
    DEADLINE: "The server could not answer within {seconds:g} s. Please try again.",
    DATABASE_DOWN: "The database is not answering. Please try again in a minute.",
}
DATABASE_RETRY_AFTER = "30"
_JSON_PATHS = ("/api/", "/admin/api/")
_WEBHOOK_PATHS = ("/webhooks/",)


class _BodyTooSlow(Exception):
    """Raised into the app by `receive` when the body is late; only this module catches it."""


class BodyReadTimeout:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = False
        started = False

        async def receive_in_time() -> Message:
            nonlocal deadline, complete
            if complete:
                # After the body, a read waits for the client to go away (a streamed
                # response listens for that): no bound on it.
                return await receive()
            if deadline is None:
                deadline = loop.time() + self.seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_in_time, send_tracked)
        except _BodyTooSlow:
            logger.warning("request body too slow", extra={"path": scope["path"]})
            if not started:
                await _answer(scope, send, 408, BODY_TOO_SLOW, self.seconds, close=True)


class RequestDeadline:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        # The deadline passed just before the response began (its cancellation on the way):
        # what the app sends now is dropped, and the 504 goes out instead.
        too_late = False

        async def send_tracked(message: Message) -> None:
            nonlocal started, too_late
            if message["type"] == "http.response.start":
                if timer.expired():
                    too_late = True
                else:
                    started = True
                    timer.reschedule(None)
            if not too_late:
                await send(message)

        try:
            async with asyncio.timeout(self.seconds) as timer:
                await self.app(scope, receive, send_tracked)
        except Exception as error:
            if not (isinstance(error, TimeoutError) and timer.expired()):
                if not unavailable(error):
                    raise
                await self._database_down(scope, send, error, started=started)
                return
        if timer.expired() and not started:
            logger.warning("request over its deadline", extra={"path": scope["path"]})
            await _answer(scope, send, 504, DEADLINE, self.seconds)

    async def _database_down(
        self, scope: Scope, send: Send, error: BaseException, *, started: bool
    ) -> None:
        logger.warning(
            "database unavailable", extra={"path": scope["path"], "error": type(error).__name__}
        )
        if started:
            # Half a response is out (a streamed export): all that is left is to stop.
            raise error
        await _answer(scope, send, 503, DATABASE_DOWN, self.seconds)


async def _answer(
    scope: Scope, send: Send, status: int, code: str, seconds: float, *, close: bool = False
) -> None:
    path: str = scope["path"]
    message = _MESSAGES[code].format(seconds=seconds)
    if path.startswith(_WEBHOOK_PATHS):
        body, content_type = json.dumps({"received": False, "error": message}), "application/json"
    elif path.startswith(_JSON_PATHS):
        error = {"error": {"code": code, "message": message, "field": None}}
        body, content_type = json.dumps(error), "application/json"
    else:
        body, content_type = message + "\n", "text/plain; charset=utf-8"
    encoded = body.encode()
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(encoded)).encode()),
    ]
    if status == 503:
        headers.append((b"retry-after", DATABASE_RETRY_AFTER.encode()))
    if close:
        # The rest of the body may still be on its way: this connection is done.
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})
