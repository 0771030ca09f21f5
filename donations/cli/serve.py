"""`donations serve`: migrate, then run the web app under uvicorn."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path

import typer
import uvicorn

from donations import logs, metrics, migrations
from donations.cli.common import fail
from donations.db import OPEN_ERRORS, cannot_open, create_sync_engine
from donations.settings import get_settings

logger = logging.getLogger(__name__)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, help="Worker processes"),
) -> None:
    """Run the web app. Without STRIPE_SECRET_KEY, Stripe is the bundled emulator."""
    # Links the emulator and Stripe send readers back to must reach this server.
    if "SITE_URL" not in os.environ:
        os.environ["SITE_URL"] = f"http://{host}:{port}"
        get_settings.cache_clear()
    settings = get_settings()
    settings.check_production()
    _require_database(settings.DATABASE_URL)
    migrations.upgrade(settings.DATABASE_URL)
    log_config = logs.logging_config(settings.LOG_FORMAT)
    logs.configure(settings.LOG_FORMAT)
    _share_metrics(workers)
    typer.echo(f"serving on http://{host}:{port}/contribute  (admin: /admin)")
    uvicorn.run(
        "donations.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_config=log_config,
    )


def _share_metrics(workers: int) -> None:
    """Several workers count into files of one directory, added up at each scrape
    (prometheus-client's multiprocess mode): the operator's PROMETHEUS_MULTIPROC_DIR, else
    a temporary one, removed when serve exits."""
    chosen = os.environ.get(metrics.MULTIPROCESS_DIR)
    if chosen is None and workers == 1:
        return
    shared = Path(chosen) if chosen else Path(tempfile.mkdtemp(prefix="donations-metrics-"))
    if chosen is None:
        atexit.register(shutil.rmtree, shared, ignore_errors=True)
    metrics.prepare_multiprocess_dir(shared)
    logger.info("metrics: the workers' counts add up in %s", shared)


def _require_database(url: str) -> None:
    """One line if the database cannot be opened. Only the opening is caught: a migration
    that fails raises the same driver errors, and must keep its own message and traceback."""
    engine = create_sync_engine(url)
    try:
        with engine.connect():
            pass
    except OPEN_ERRORS as error:
        fail(cannot_open(url, error))
    finally:
        engine.dispose()
