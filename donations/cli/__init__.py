"""`donations`: the command line for engineers and finance staff (DESIGN.md, Finance contract).

Each command group lives in its own module and is imported only when it is the one asked
for: a finance report should not pay for loading the web server, the Stripe library and
Alembic first (about a second on a busy two-core machine).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

import typer
from pydantic import ValidationError

from donations.settings import ConfigurationError

# name -> (module, attribute); a Typer is a group, a function a single command. In help order.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("donations.cli.serve", "serve"),
    "db": ("donations.cli.db", "app"),
    "campaign": ("donations.cli.campaign", "app"),
    "report": ("donations.cli.report", "app"),
    "webhooks": ("donations.cli.webhooks", "app"),
    "reconcile": ("donations.cli.reconcile", "app"),
    "supporters": ("donations.cli.supporters", "app"),
    "staff": ("donations.cli.staff", "app"),
    "demo": ("donations.cli.demo", "demo"),
    "emulator": ("donations.cli.emulator", "emulator"),
}


def _root() -> None:
    """Reader donations and memberships: run the service, manage campaigns, report."""


def build(names: Iterable[str] = COMMANDS) -> typer.Typer:
    root = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
    # A callback keeps `donations` a group even when only one command is loaded.
    root.callback()(_root)
    for name in names:
        module, attribute = COMMANDS[name]
        command = getattr(importlib.import_module(module), attribute)
        if isinstance(command, typer.Typer):
            root.add_typer(command, name=name)
        else:
            root.command(name)(command)
    return root


def __getattr__(name: str) -> Any:
    # `from donations.cli import app`: every command, for tests and tools that want them all.
    if name == "app":
        return build()
    raise AttributeError(name)


def main() -> None:
    asked = sys.argv[1] if len(sys.argv) > 1 else None
    app = build([asked] if asked in COMMANDS else COMMANDS)
    try:
        app()
    except ConfigurationError as error:
        raise SystemExit(f"error: {error}") from None
    except ValidationError as error:
        # A bad environment variable or .env line: name it, in one line.
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise SystemExit(f"error: {name}: {first['msg']}") from None
