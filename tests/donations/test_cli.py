from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import stripe
import typer
from typer.testing import CliRunner

from donations.cli import build
from tests.support.cli import donations
from tests.support.servers import free_port


def test_a_report_loads_neither_stripe_nor_alembic_nor_the_web_server() -> None:
    # What a finance command pays for at start-up: only its own group is imported.
    probe = (
        "import sys; from donations.cli import build; build(['report']); "
        "print(sorted(m for m in ('stripe', 'alembic', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"


def test_help_lists_the_commands_without_loading_any() -> None:
    probe = (
        "import sys; from donations.cli import main; sys.argv = ['donations', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('donations.cli.')"
        " or m in ('stripe', 'sqlmodel', 'uvicorn')), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "│ report " in result.stdout
    assert result.stderr == "[]\n"


def test_every_command_is_listed_in_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "donations", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("serve", "db", "campaign", "report", "webhooks", "reconcile", "supporters",
                    "staff", "demo", "emulator"):  # fmt: skip
        assert f"│ {command} " in result.stdout


def test_a_report_on_a_database_without_a_ledger_exits_2_with_one_line(tmp_path: Path) -> None:
    result = donations("report", "progress", database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: the database has no ledger yet: run `donations db upgrade` (or `donations serve`)\n"
    )


def test_a_database_that_cannot_be_opened_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    missing_folder = f"sqlite:///{tmp_path / 'no-such-folder' / 'donations.db'}"
    advice = (
        f"the folder {tmp_path / 'no-such-folder'} does not exist; create it, or set "
        "DATABASE_URL to a file in a folder that does\n"
    )
    for command in (["report", "progress"], ["campaign", "list"]):
        result = donations(*command, database_url=missing_folder)
        assert (result.returncode, result.stdout) == (2, ""), command
        assert result.stderr == (
            f"error: cannot open the database {missing_folder}: unable to open database file: "
            + advice
        ), command
    served = donations("serve", "--port", str(free_port()), database_url=missing_folder)
    assert (served.returncode, served.stdout) == (2, "")
    assert served.stderr == f"error: cannot open the database {missing_folder}: {advice}"
    assert not (tmp_path / "no-such-folder").exists()


def test_an_unreachable_postgresql_is_named_without_its_password() -> None:
    # Nothing listens on port 1: the connection is refused at once.
    result = donations(
        "report", "progress", database_url="postgresql://finance:s3cret@127.0.0.1:1/ledger"
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "error: cannot open the database postgresql://finance:***@127.0.0.1:1/ledger: "
    )
    assert "Connect call failed ('127.0.0.1', 1)" in result.stderr
    assert "s3cret" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_emulator_command_serves_the_stripe_api_on_its_own_port() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "donations", "emulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin"},
    )
    http = stripe.HTTPXClient(allow_sync_methods=True)
    try:
        client = stripe.StripeClient(
            "sk_test_local",
            base_addresses={"api": f"http://127.0.0.1:{port}"},
            http_client=http,
            max_network_retries=0,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                events = client.v1.events.list()
                break
            except stripe.APIConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert (events.object, events.data) == ("list", [])
    finally:
        http.close()
        server.terminate()
        server.wait(timeout=10)


def test_emulator_command_takes_every_option_of_the_standalone_emulator() -> None:
    """`donations emulator` and `python -m stripe_emulator` name the same settings, with the
    same defaults (but for the webhook secret, which defaults to STRIPE_WEBHOOK_SECRET)."""
    from stripe_emulator.__main__ import build_parser

    standalone = {
        action.option_strings[0]: action.default
        for action in build_parser()._actions
        if action.option_strings and action.option_strings[0] != "-h"
    }
    command = typer.main.get_command(build(["emulator"])).commands["emulator"]  # type: ignore[attr-defined]
    ours = {
        f"--{param.name.replace('_', '-')}": param.default
        for param in command.params
        if param.name is not None
    }
    assert set(ours) == set(standalone)
    differs = {
        name: (ours[name], standalone[name])
        for name in standalone
        if str(ours[name] or "") != str(standalone[name] or "")
    }
    assert differs == {}


def test_emulator_command_refuses_a_bad_setting_in_one_line() -> None:
    result = CliRunner().invoke(
        build(["emulator"]), ["emulator", "--payout-schedule", "weekly"], env={"PATH": "/usr/bin"}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: EmulatorConfig.payout_schedule: ")
    assert result.stderr.count("\n") == 1
