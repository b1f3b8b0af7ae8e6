"""Turnout over time as an SVG line chart for the committee console, drawn on the server.

The page carries no script and no inline style (the Content-Security-Policy forbids both), so the chart is plain
SVG geometry computed here; its colours come from the site's stylesheet.  The table under it holds the same
figures, for screen readers and for anyone who wants the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from strikevote.services.status import TurnoutSeries

WIDTH: Final = 600
HEIGHT: Final = 240
# Room for the axis labels, in the chart's own units (the SVG scales to the page's width).
LEFT: Final = 44
BOTTOM: Final = 28
TOP: Final = 8
RIGHT: Final = 8


@dataclass(frozen=True)
class Line:
    local: str  # "" for all locals together
    points: str  # SVG polyline points, "x,y x,y …"
    final_share: float


@dataclass(frozen=True)
class Tick:
    at: float  # position along its axis
    label: str


@dataclass(frozen=True)
class TurnoutChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    locals: list[Line]
    overall: Line
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def turnout_chart(series: TurnoutSeries, eligible: Mapping[str, int]) -> TurnoutChart:
    """Cumulative turnout (voters ÷ eligible) of each local and of all locals, from the opening (0) to each
    step's end.  A local with nobody eligible is drawn at 0."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    steps = len(series.starts)

    def x(i: int) -> float:  # i = 0 is the opening, i = steps the end of the last step
        return LEFT + (right - LEFT) * i / steps if steps else LEFT

    def y(share: float) -> float:
        return bottom - (bottom - TOP) * min(1.0, max(0.0, share))

    def line(local: str, counts: list[int], of: int) -> Line:
        shares = [0.0] + [n / of if of else 0.0 for n in counts]
        points = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, s in enumerate(shares))
        return Line(local, points, shares[-1])

    lines = [line(lid, counts, eligible.get(lid, 0)) for lid, counts in series.cumulative.items()]
    totals = [sum(counts[i] for counts in series.cumulative.values()) for i in range(steps)]
    overall = line("", totals, sum(eligible.get(lid, 0) for lid in series.cumulative))
    y_ticks = [Tick(y(v), f"{round(v * 100)}%") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
    x_ticks = [
        Tick(x(i), (series.starts[0] + series.step * i).strftime("%m-%d %H:%M"))
        for i in sorted({0, steps // 2, steps})
    ] if steps else []  # fmt: skip
    return TurnoutChart(WIDTH, HEIGHT, LEFT, right, TOP, bottom, lines, overall, y_ticks, x_ticks)
