"""/api/progress answered by ProgressFastPath (a figure already cached) carries the same
headers as the answer the whole stack gave, the security headers included."""

from __future__ import annotations

import pytest

from donations.db import Database
from donations.settings import Settings
from tests.reports.ledger_fixtures import dublin_app, dublin_client, dublin_settings, year
from tests.support.apps import asgi_client, running_app

__all__ = ["dublin_app", "dublin_client", "dublin_settings", "year"]  # fixtures used here


@pytest.mark.asyncio
async def test_the_fast_path_answers_as_the_stack_does_with_a_logo_elsewhere(
    year: Database, dublin_settings: Settings
) -> None:
    # A logo on another site widens the pages' policy: the fast path must send that one too.
    branded = dublin_settings.model_copy(
        update={"BRAND_LOGO_URL": "https://cdn.news.example/logo.svg"}
    )
    async with running_app(branded) as app, asgi_client(app) as http:
        ask = {"campaign": "2026"}
        # Nothing cached yet: the stack answers, and caches the figure.
        stack = await http.get("/api/progress", params=ask)
        assert stack.status_code == 200
        assert "2026" in app.state.donations.progress_cache.entries
        fast = await http.get("/api/progress", params=ask)
        assert (fast.status_code, fast.content) == (200, stack.content)
        assert dict(fast.headers) == dict(stack.headers)
        policy = fast.headers["content-security-policy"]
        assert "img-src 'self' https://cdn.news.example data:" in policy
        etag = {"If-None-Match": stack.headers["etag"]}
        again = await http.get("/api/progress", params=ask, headers=etag)
        assert again.status_code == 304
        assert again.headers["content-security-policy"] == stack.headers["content-security-policy"]
