"""``strikevote tally close``: end the ballots and publish each local's encrypted tally."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from strikevote.cli.common import DEFAULT_DB, DbOption, database, handled, out_console
from strikevote.services import tally

app = typer.Typer(help="Close the vote and compute the encrypted tallies.", no_args_is_help=True)


@app.command("close")
def close(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    db: DbOption = DEFAULT_DB,
    early: Annotated[
        bool, typer.Option("--early", help="Close before the voting window ends (a deliberate decision).")
    ] = False,
) -> None:
    """Close the ballot box and publish every local's encrypted tally (no one can read it yet)."""
    with handled("tally close"), database(db) as sm:
        counted = tally.close_and_tally(sm, vote, datetime.now(UTC), early=early)
    table = Table(title=f"{vote}: ballots counted (encrypted)")
    table.add_column("Local")
    table.add_column("Ballots", justify="right")
    for local, n in counted.items():
        table.add_row(local, f"{n:,}")
    table.add_row("TOTAL", f"{sum(counted.values()):,}", style="bold")
    console = out_console()
    console.print(table)
    console.print("Vote closed. Next: k trustees run `strikevote trustee decrypt`.")
