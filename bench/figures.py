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


HEADER = ("section", "figure", "ours", "baseline", "ours/base", "target", "met")


def table(figures: list[Figure]) -> str:
    rows = [HEADER]
    for figure in figures:
        rows.append(
            (
                figure.section,
                f"{figure.name} [{figure.unit}] vs {figure.baseline_name}",
                _number(figure.ours),
                _number(figure.baseline),
                f"{figure.ratio:.2f}",
                "; ".join(str(t) for t in figure.targets),
                figure.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


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
