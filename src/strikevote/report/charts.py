"""Charts of the per-local results, as base64 PNG for embedding in ``report.html``.

matplotlib is imported inside the functions (and only its Agg canvas, never pyplot), so importing
:mod:`strikevote.report` stays cheap and no global backend state is touched.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from strikevote.records.numbers import percent_one_decimal
from strikevote.records.result import ResultRecord

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["turnout_chart", "yes_share_chart"]

_IN_FAVOR: Final = "#2e7d32"
_AGAINST: Final = "#c62828"
_NEUTRAL: Final = "#1565c0"
_LINE: Final = "#333333"


def _label(text: str) -> str:
    """Text as matplotlib shows it literally (a ``$`` would otherwise start mathtext)."""
    return text.replace("$", r"\$")


def _figure(n_bars: int) -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width = min(16.0, max(6.0, 0.55 * n_bars + 2.0))
    fig = Figure(figsize=(width, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0.0, 1.08)
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _bars(ax: Axes, ids: Sequence[str], pairs: Sequence[tuple[int, int]], colors: Sequence[str]) -> None:
    positions = list(range(len(ids)))
    values = [n / d if d else 0.0 for n, d in pairs]
    bars = ax.bar(positions, values, color=list(colors), width=0.7)
    rotate = len(ids) > 16 or max((len(i) for i in ids), default=0) > 6
    ax.set_xticks(positions, labels=list(ids), rotation=90 if rotate else 0, fontsize=8)
    ax.set_xlabel("Local")
    if len(ids) <= 30:  # same rounding as the tables
        ax.bar_label(
            bars, labels=[_label(percent_one_decimal(n, d)) for n, d in pairs], fontsize=7, padding=2
        )


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})  # no version stamp: reproducible bytes
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def yes_share_chart(result: ResultRecord) -> str:
    """Base64 PNG: yes share per local (green in favor, red not), with a dashed line at the rule's
    threshold when it has a single one (``result.rule.threshold``: never an invented 50%)."""
    threshold = result.rule.threshold
    ids = [_label(local.id) for local in result.locals]
    pairs = [(local.yes, local.ballots) for local in result.locals]
    colors = [_IN_FAVOR if local.in_favor else _AGAINST for local in result.locals]
    fig, ax = _figure(len(ids))
    _bars(ax, ids, pairs, colors)
    if threshold is not None:
        ax.axhline(
            threshold, color=_LINE, linestyle="--", linewidth=1.2, label=f"threshold {threshold * 100:.4g}%"
        )
        ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_ylabel("Yes share of ballots")
    ax.set_title("Yes share per local", fontsize=11)
    return _png(fig)


def turnout_chart(result: ResultRecord) -> str:
    """Base64 PNG: turnout (ballots / eligible) per local."""
    ids = [_label(local.id) for local in result.locals]
    pairs = [(local.ballots, local.eligible) for local in result.locals]
    fig, ax = _figure(len(ids))
    _bars(ax, ids, pairs, [_NEUTRAL] * len(ids))
    ax.set_ylabel("Ballots / eligible")
    ax.set_title("Turnout per local", fontsize=11)
    return _png(fig)
