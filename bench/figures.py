"""A figure: one measurement of ours beside its baseline from the same run, and its target."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Goal(StrEnum):
    """What the target bounds: ours / baseline, ours - baseline, or ours alone."""

    ratio_at_least = "ratio >="
    ratio_at_most = "ratio <="
    difference_under = "ours - base <"
    ours_under = "ours <"


@dataclass(frozen=True)
class Target:
    goal: Goal
    bound: float
    unit: str = ""

    def met(self, ours: float, baseline: float) -> bool:
        ratio = ours / baseline
        match self.goal:
            case Goal.ratio_at_least:
                return ratio >= self.bound
            case Goal.ratio_at_most:
                return ratio <= self.bound
            case Goal.difference_under:
                return ours - baseline < self.bound
            case Goal.ours_under:
                return ours < self.bound

    def __str__(self) -> str:
        return f"{self.goal.value} {self.bound:g}{self.unit}"


@dataclass
class Figure:
    section: str
    name: str
    unit: str
    ours: float
    baseline: float
    baseline_name: str
    targets: list[Target] = field(default_factory=list)
    # What else was measured for this row (latencies, CPU, counts), for latest.json.
    detail: dict[str, Any] = field(default_factory=dict)
    # p50 and p99 in ms of ours and of the baseline, for figures measured under HTTP load.
    ours_latency: tuple[float, float] | None = None
    baseline_latency: tuple[float, float] | None = None

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline if self.baseline else float("nan")

    @property
    def verdict(self) -> str:
        if not self.targets:
            return ""
        return "yes" if all(t.met(self.ours, self.baseline) for t in self.targets) else "MISSED"


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


HEADER = ("section", "figure", "ours", "baseline", "ours/base", "p50 / p99 ms", "target", "met")


def _latency(figure: Figure) -> str:
    if figure.ours_latency is None or figure.baseline_latency is None:
        return ""
    (ours_50, ours_99), (base_50, base_99) = figure.ours_latency, figure.baseline_latency
    return f"{_number(ours_50)} / {_number(ours_99)} (base {_number(base_50)} / {_number(base_99)})"


def table(figures: list[Figure]) -> str:
    """A Markdown table, to paste as it is into the README's performance section."""
    rows = [HEADER]
    for figure in figures:
        rows.append(
            (
                figure.section,
                f"{figure.name} [{figure.unit}] vs {figure.baseline_name}",
                _number(figure.ours),
                _number(figure.baseline),
                f"{figure.ratio:.2f}",
                _latency(figure),
                "; ".join(str(t) for t in figure.targets),
                figure.verdict,
            )
        )
    lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("---" for _ in HEADER) + "|")
    return "\n".join(lines)


def write_json(path: Path, figures: list[Figure], context: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            **asdict(figure),
            "ratio": figure.ratio,
            "verdict": figure.verdict,
            "targets": [str(t) for t in figure.targets],
        }
        for figure in figures
    ]
    path.write_text(json.dumps({"context": context, "figures": rows}, indent=2) + "\n")
