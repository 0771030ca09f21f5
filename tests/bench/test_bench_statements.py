"""bench/statements.py produces its figure (a few supporters: seconds, not the real run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_statements_benchmark_prints_its_figure() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.statements", "--supporters", "40"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.match(
        r"statements: 40 sent of 40 supporters \(\d+ payments\), 0 failed, in [\d.]+ s wall",
        result.stdout,
    ), result.stdout
