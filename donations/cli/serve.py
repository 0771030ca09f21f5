"""`donations serve`: migrate, then run the web app under uvicorn, with limits on what one
connection may cost (the reverse proxy in front adds its own: docs/operations.md, "Security").

- h11 parses HTTP by default: only h11 bounds a request's head (request line and headers),
  at MAX_HEAD_BYTES; past it, 400 and the connection is closed. httptools keeps reading
  headers for as long as they come (docs/operations.md, "Time limits", has what that cost), but serves more
  requests per second: `--http httptools` is for a server whose proxy bounds heads itself.
- An idle keep-alive connection is closed after KEEP_ALIVE_SECONDS.
- Past MAX_CONNECTIONS open connections (or running requests) a worker answers 503 at once:
  a flood fills a queue no further, and the process keeps file descriptors for its database.
- The body's pace and the answer's time are bounded inside the app (donations/web/limits.py).
"""

from __future__ import annotations

import atexit
import errno
import logging
import os
import shutil
import socket
import tempfile
from enum import StrEnum
from pathlib import Path

import typer
import uvicorn

from donations import logs, metrics, migrations
from donations.cli.common import fail
from donations.db import (
    OPEN_ERRORS,
    Timeouts,
    cannot_open,
    create_sync_engine,
    shown_url,
    sqlite_folder_problem,
)
from donations.settings import get_settings

logger = logging.getLogger(__name__)

MAX_HEAD_BYTES = 16 * 1024
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 1000


class HttpParser(StrEnum):
    h11 = "h11"
    httptools = "httptools"


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, envvar="WEB_CONCURRENCY", help="Worker processes"),
    http: HttpParser = typer.Option(
        HttpParser.h11,
        help="h11 bounds request heads; httptools is faster, for behind a proxy that does",
    ),
) -> None:
    """Run the web app. Without STRIPE_SECRET_KEY, Stripe is the bundled emulator."""
    # Links the emulator and Stripe send readers back to must reach this server.
    if "SITE_URL" not in os.environ:
        os.environ["SITE_URL"] = f"http://{host}:{port}"
    # Each worker reads it: without Redis, each allows its share of the rate limit.
    os.environ["WEB_CONCURRENCY"] = str(workers)
    get_settings.cache_clear()
    settings = get_settings()
    settings.check_production()
    # Before the database: a server that cannot listen must not migrate anything.
    _require_address(host, port)
    _require_database(settings.DATABASE_URL, Timeouts(settings.DATABASE_CONNECT_TIMEOUT))
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
        http=http.value,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        limit_concurrency=MAX_CONNECTIONS,
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


# Why a socket cannot listen, as people say it, and what to do.
_ADDRESS_PROBLEMS = {
    errno.EADDRINUSE: (
        "the address is already in use (another server, or an earlier `donations serve`); "
        "stop it or choose another --port"
    ),
    errno.EACCES: "permission denied (ports below 1024 need privileges); choose a --port above 1023",
    errno.EADDRNOTAVAIL: "no interface of this machine has that address; choose another --host",
}


def _require_address(host: str, port: int) -> None:
    """One line, before "serving on", if uvicorn could not listen there: bound and released
    as uvicorn binds it (SO_REUSEADDR), so that only a real conflict is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror}; choose another --host")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            problem = _ADDRESS_PROBLEMS.get(error.errno or 0, error.strerror or str(error))
            fail(f"cannot listen on {host}:{port}: {problem}")


def _require_database(url: str, timeouts: Timeouts) -> None:
    """One line if the database cannot be opened, or (SQLite) its folder cannot be written:
    found before migrating, which would fail halfway with a driver's traceback. Only the
    opening is caught: a migration that fails raises the same driver errors, and must keep
    its own message and traceback."""
    problem = sqlite_folder_problem(url)
    if problem is not None:
        fail(f"cannot open the database {shown_url(url)}: {problem}")
    engine = create_sync_engine(url, timeouts=timeouts)
    try:
        with engine.connect():
            pass
    except OPEN_ERRORS as error:
        fail(cannot_open(url, error))
    finally:
        engine.dispose()
