from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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


def test_every_command_is_listed_in_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "donations", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("serve", "db", "campaign", "report", "webhooks", "reconcile", "supporters",
                    "staff", "demo"):  # fmt: skip
        assert f"│ {command} " in result.stdout


def test_a_report_on_a_database_without_a_ledger_exits_2_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "donations", "report", "progress"],
        capture_output=True,
        text=True,
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: the database has no ledger yet: run `donations db upgrade` (or `donations serve`)\n"
    )
