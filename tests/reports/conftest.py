from __future__ import annotations

from tests.reports.ledger_fixtures import dublin_app, dublin_client, dublin_settings, year

__all__ = ["dublin_app", "dublin_client", "dublin_settings", "year"]
