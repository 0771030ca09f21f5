from __future__ import annotations

import xml.etree.ElementTree as ET

from donations import money
from donations.charts import Series, bar_chart, line_chart, nice_step

SVG = "{http://www.w3.org/2000/svg}"


def euros(amount: int) -> str:
    return money.format_amount(amount, "eur")


def test_line_chart_is_labelled_svg_with_one_polyline_per_series() -> None:
    svg = line_chart(
        chart_id="pace",
        title="Net against pace",
        description="Net €30.00 against a pace of €20.00.",
        labels=["2026-01-05", "2026-01-12", "2026-01-19"],
        series=[Series("Net raised", [1000, 2000, 3000]), Series("Pace", [0, 1000, 2000], True)],
        fmt=euros,
    )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "pace-title pace-desc"
    assert root.find(f"{SVG}title").text == "Net against pace"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Net €30.00 against a pace of €20.00."  # type: ignore[union-attr]
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    assert lines[1].get("stroke-dasharray") == "6 4"
    # The y axis runs from 0 to €30.00 in steps of €10.00 (the max 3000 over 4 ticks is 750,
    # rounded up to 1000).
    ticks = [t.text for t in root.findall(f"{SVG}text")][:4]
    assert ticks == ["€0.00", "€10.00", "€20.00", "€30.00"]
    assert "style=" not in str(svg) and "<script" not in str(svg)


def test_bar_chart_stacks_one_off_on_recurring_and_escapes_text() -> None:
    svg = bar_chart(
        chart_id="months",
        title="Months <&>",
        description="one-off and recurring",
        labels=["2026-01", "2026-02"],
        series=[Series("One-off", [500, 0]), Series("Recurring", [250, 1000])],
        fmt=euros,
    )
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "Months <&>"  # type: ignore[union-attr]
    bars = [rect for rect in root.findall(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    # A zero value draws no bar: three bars, not four.
    assert [bar.find(f"{SVG}title").text for bar in bars] == [  # type: ignore[union-attr]
        "2026-01: One-off €5.00",
        "2026-01: Recurring €2.50",
        "2026-02: Recurring €10.00",
    ]


def test_empty_chart_still_renders() -> None:
    svg = line_chart(chart_id="x", title="t", description="d", labels=[], series=[], fmt=euros)
    assert ET.fromstring(str(svg)).get("role") == "img"


def test_nice_steps_are_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_step(n) for n in (0, 3, 40, 41, 700, 5_000_000)] == [1, 1, 10, 20, 200, 2_000_000]


def test_every_x_label_sits_on_its_point_and_the_line_starts_on_the_axis() -> None:
    labels = [f"2026-{month:02}-01" for month in range(1, 13)]
    svg = line_chart(
        chart_id="pace",
        title="t",
        description="d",
        labels=labels,
        series=[Series("Net raised", list(range(0, 1200, 100)))],
        fmt=euros,
    )
    root = ET.fromstring(str(svg))
    points = [
        float(pair.split(",")[0])
        for pair in root.find(f"{SVG}polyline").get("points", "").split()  # type: ignore[union-attr]
    ]
    # The first point is on the y axis (x = LEFT, where the gridlines start).
    grid_start = float(root.findall(f"{SVG}line")[0].get("x1", ""))
    assert points[0] == grid_start
    written = {
        text.text: float(text.get("x", ""))
        for text in root.findall(f"{SVG}text")
        if text.text in labels
    }
    # Every other month (12 labels, at most about 8 shown), the last always; each centred on
    # its own point.
    assert list(written) == [labels[i] for i in (0, 2, 4, 6, 8, 11)]
    for label, x in written.items():
        assert x == points[labels.index(label)], label
    anchors = {
        text.get("text-anchor") for text in root.findall(f"{SVG}text") if text.text in labels
    }
    assert anchors == {"middle"}


def test_bar_labels_sit_under_their_bars() -> None:
    svg = bar_chart(
        chart_id="months",
        title="t",
        description="d",
        labels=["2026-03", "2026-04", "2026-05"],
        series=[Series("One-off", [500, 700, 100])],
        fmt=euros,
    )
    root = ET.fromstring(str(svg))
    bars = [rect for rect in root.findall(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    centres = [float(bar.get("x", "")) + float(bar.get("width", "")) / 2 for bar in bars]
    written = [
        float(text.get("x", ""))
        for text in root.findall(f"{SVG}text")
        if text.text in ("2026-03", "2026-04", "2026-05")
    ]
    assert [round(x, 1) for x in written] == [round(x, 1) for x in centres]
