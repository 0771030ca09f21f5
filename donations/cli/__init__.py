"""`donations`: the command line for engineers and finance staff (README, "For finance staff").

Each command group lives in its own module and is imported only when it is the one asked
for: a finance report should not pay for loading the web server, the Stripe library and
Alembic first.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import ValidationError

from donations import logs
from donations.settings import ConfigurationError, get_settings


@dataclass(frozen=True)
class Command:
    module: str
    # A Typer is a group, a function a single command.
    attribute: str
    help: str


# In help order. The help lives here, not in the modules, so that `donations --help` can list
# every command without importing any of them.
COMMANDS: dict[str, Command] = {
    "serve": Command(
        "donations.cli.serve",
        "serve",
        "Run the web app. Without STRIPE_SECRET_KEY, Stripe is the bundled emulator.",
    ),
    "db": Command("donations.cli.db", "app", "Create or migrate the database schema."),
    "campaign": Command(
        "donations.cli.campaign", "app", "Funding targets: what progress is measured against."
    ),
    "report": Command(
        "donations.cli.report",
        "app",
        "Finance reports: progress, periods, members, sources, funnel.",
    ),
    "webhooks": Command(
        "donations.cli.webhooks",
        "app",
        "Stripe webhook events: how the inbox stands, replay stored ones, fetch missed ones.",
    ),
    "reconcile": Command(
        "donations.cli.reconcile", "app", "Bring in what Stripe knows after the fact."
    ),
    "export": Command(
        "donations.cli.export",
        "app",
        "Files: payout journals (Xero, QuickBooks, CSV), gifts with choices, newsletter list.",
    ),
    "supporters": Command(
        "donations.cli.supporters", "app", "Supporters: the people behind the payments."
    ),
    "privacy": Command(
        "donations.cli.privacy", "app", "Personal data: purge what is past its retention."
    ),
    "staff": Command("donations.cli.staff", "app", "Finance logins for the /admin dashboard."),
    "mail": Command(
        "donations.cli.mail", "app", "Email to readers: send what is due, list the outbox."
    ),
    "statements": Command(
        "donations.cli.statements", "app", "Year-end giving statements, one per supporter."
    ),
    "demo": Command(
        "donations.cli.demo",
        "demo",
        "Realistic activity through the Stripe emulator, then a summary and the totals.",
    ),
    "emulator": Command(
        "donations.cli.emulator",
        "emulator",
        "Run the local Stripe emulator standalone; webhooks are signed with STRIPE_WEBHOOK_SECRET.",
    ),
}


def _root() -> None:
    """Reader donations and memberships: run the service, manage campaigns, report."""


def _root_app() -> typer.Typer:
    root = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    # A callback keeps `donations` a group even when only one command is loaded.
    root.callback()(_root)
    return root


def build(names: Iterable[str] = COMMANDS) -> typer.Typer:
    root = _root_app()
    for name in names:
        entry = COMMANDS[name]
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        if isinstance(command, typer.Typer):
            root.add_typer(command, name=name, help=entry.help)
        else:
            root.command(name, help=entry.help)(command)
    return root


def directory() -> typer.Typer:
    """Every command's name and help, none of them loaded: for `donations --help`, a bare
    `donations` and a mistyped command (loading them all took over a second)."""
    root = _root_app()
    for name, entry in COMMANDS.items():
        root.command(name, help=entry.help)(_not_loaded)
    return root


def _not_loaded() -> None:
    raise AssertionError("the directory lists commands; main() loads the one asked for")


def __getattr__(name: str) -> Any:
    # `from donations.cli import app`: every command, for tests and tools that want them all.
    if name == "app":
        return build()
    raise AttributeError(name)


def main() -> None:
    asked = sys.argv[1] if len(sys.argv) > 1 else None
    app = build([asked]) if asked in COMMANDS else directory()
    try:
        if asked in COMMANDS:
            # Warnings and errors only: a command's output is its own; serve logs more.
            logs.configure(get_settings().LOG_FORMAT, level="WARNING")
        app()
    except ConfigurationError as error:
        raise SystemExit(f"error: {error}") from None
    except ValidationError as error:
        # A bad environment variable or .env line: name it, in one line.
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        # A validator's own ValueError says it best, without pydantic's "Value error, ".
        reason = first.get("ctx", {}).get("error", first["msg"])
        raise SystemExit(f"error: {name}: {reason}") from None
