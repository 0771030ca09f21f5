"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from donations.migrations import current_revision, head_revision
from donations.state import app_state

logger = logging.getLogger(__name__)


async def healthz(request: Request) -> JSONResponse:
    """The process is up. Says nothing about the database, on purpose: see /readyz."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and is migrated to head; 503 with the reason otherwise."""
    try:
        revision = await current_revision(app_state(request).db.engine)
    except Exception as error:  # any driver error means: not ready
        logger.warning("readyz: database unreachable: %s", type(error).__name__)
        return JSONResponse(
            {"status": "unavailable", "reason": "database unreachable"}, status_code=503
        )
    head = head_revision()
    if revision != head:
        reason = (
            f"database at migration {revision or 'none'}, expected {head}; "
            "run `donations db upgrade`"
        )
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ok", "migration": revision})


routes: list[BaseRoute] = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]
