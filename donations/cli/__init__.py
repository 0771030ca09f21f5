"""`donations`: the command line for engineers and finance staff (DESIGN.md, Finance contract)."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from donations.cli import (
    campaign,
    db,
    demo,
    reconcile,
    report,
    serve,
    staff,
    supporters,
    webhooks,
)
from donations.settings import ConfigurationError

app = typer.Typer(
    help="Reader donations and memberships: run the service, manage campaigns, report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("serve")(serve.serve)
app.add_typer(db.app, name="db")
app.add_typer(campaign.app, name="campaign")
app.add_typer(report.app, name="report")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(reconcile.app, name="reconcile")
app.add_typer(supporters.app, name="supporters")
app.add_typer(staff.app, name="staff")
app.command("demo")(demo.demo)


def main() -> None:
    try:
        app()
    except ConfigurationError as error:
        raise SystemExit(f"error: {error}") from None
    except ValidationError as error:
        # A bad environment variable or .env line: name it, in one line.
        first = error.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or "settings"
        raise SystemExit(f"error: {name}: {first['msg']}") from None
