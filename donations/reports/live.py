"""(being written) The progress figure for public pages, cached per process."""

from __future__ import annotations

from typing import Any

from donations.web.state import AppState


async def current_progress(state: AppState, campaign_slug: str | None = None) -> dict[str, Any] | None:
    """The progress JSON of DESIGN.md for the campaign (or the current one); None if none."""
    return None
