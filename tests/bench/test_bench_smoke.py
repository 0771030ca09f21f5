"""`python -m bench --size smoke` produces every figure, each a positive number.

No ratio or target is asserted: speed on a shared machine is what the full run reports,
not what a test can pin. What is pinned: every benchmark runs end to end and reports, the
floors outside our stack (bench/bare_app.py) included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.wrk import wrk_path
from tests.support.environment import require_sqlite3_client

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# About 25 s on a quiet two-core machine; the margin is for one shared with other test runs.
SMOKE_TIMEOUT = 150

EXPECTED = [
    ("reports (sqlite)", "progress, function"),
    ("reports (sqlite)", "period --by month, function"),
    ("reports (sqlite)", "progress, CLI"),
    ("reports (sqlite)", "period --by month, CLI"),
    ("reports (sqlite)", "progress, CLI over Python"),
    ("reports (sqlite)", "progress, CLI over the required stack"),
    ("reports (sqlite)", "period --by month, CLI over Python"),
    ("reports (sqlite)", "period --by month, CLI over the required stack"),
    ("reports (sqlite)", "CSV export of 2,000 payments, peak RSS"),
    ("reports (sqlite)", "CSV export of 2,000 payments, time"),
    ("reports (sqlite)", "CLI start-up (donations --help)"),
    ("progress API (sqlite)", "requests/s"),
    ("progress API (sqlite)", "requests/s (in-app)"),
    ("progress API (sqlite)", "p99"),
    ("webhook intake (sqlite)", "events/s"),
    ("webhook intake (sqlite)", "events/s (in-app)"),
    ("webhook intake (sqlite)", "p99"),
    ("webhook intake (sqlite)", "server CPU per event"),
    ("checkout (sqlite)", "sessions/s x32"),
    ("checkout (sqlite)", "p99 x32"),
    ("checkout (sqlite)", "p50 x1"),
    ("checkout (sqlite)", "p50 x1, stripe relay (no database)"),
    ("checkout (sqlite)", "p50 x1, ours over the relay"),
]
# Only where wrk is installed is there a second load generator to compare with.
CEILING = ("load generator (sqlite)", "bare endpoint requests/s, wrk -t1")


@pytest.mark.e2e
def test_smoke_run_reports_every_figure_as_a_positive_number(tmp_path: Path) -> None:
    require_sqlite3_client()
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke", "--results", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    figures = json.loads((tmp_path / "latest.json").read_text())["figures"]
    found = {(figure["section"], figure["name"]): figure for figure in figures}
    expected = EXPECTED + ([CEILING] if wrk_path() is not None else [])
    assert sorted(found) == sorted(expected)
    for key, figure in found.items():
        assert figure["ours"] > 0, key
        assert figure["baseline"] > 0, key
    # The table is Markdown, to paste into the README: one row per figure.
    for section, name in expected:
        assert any(
            line.startswith(f"| {section} | {name} [") for line in completed.stdout.splitlines()
        ), (section, name)
