"""Tables whose identifiers never wrap: vote ids, election uuids and fingerprints are copied from the terminal
into the next command, so they are printed whole on one line; the other columns fold instead, and the table is
drawn wider than the terminal rather than cut an identifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from rich.console import Console
from rich.table import Table

__all__ = ["print_table"]

_FOLDED_MIN = 12  # the narrowest a folding column gets


def print_table(
    console: Console,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    whole: Sequence[str],
    title: str | None = None,
    right: Sequence[str] = (),
) -> None:
    """Print ``rows`` under ``columns``; the columns named in ``whole`` are never wrapped nor truncated."""
    table = Table(title=title)
    widths = [max([len(col), *(len(str(row[i])) for row in rows)]) for i, col in enumerate(columns)]
    needed = 1  # the left border
    for i, col in enumerate(columns):
        justify: Literal["left", "right"] = "right" if col in right else "left"
        if col in whole:
            table.add_column(col, no_wrap=True, min_width=widths[i], justify=justify)
            needed += widths[i] + 3  # padding and border
        else:
            table.add_column(col, overflow="fold", min_width=min(widths[i], _FOLDED_MIN), justify=justify)
            needed += min(widths[i], _FOLDED_MIN) + 3
    for row in rows:
        table.add_row(*row)
    # Console.print(width=) cannot exceed the console's width, so widen the console for this one table.
    saved = console.width
    console.width = max(saved, needed)
    try:
        console.print(table)
    finally:
        console.width = saved
