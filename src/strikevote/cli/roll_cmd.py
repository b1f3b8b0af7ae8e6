"""``strikevote roll check``: import a roll and apply the vote's eligibility rules without storing anything."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from strikevote.cli.common import handled, out_console
from strikevote.roll import (
    chase_list,
    freeze_snapshot,
    load_roll,
    readiness_rows,
    readiness_table,
    write_chase_csv,
    write_readiness_csv,
)
from strikevote.services.definition import MIN_PRIVATE_LOCAL, load_definition

app = typer.Typer(help="Member rolls: import checks and readiness reports.", no_args_is_help=True)

VoteFile = Annotated[Path, typer.Option("--vote-file", help="The vote definition (TOML).")]


@app.command("check")
def check(
    roll: Annotated[Path, typer.Argument(help="The member roll, .csv or .xlsx.")],
    vote_file: VoteFile,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write the readiness table to this CSV file.")
    ] = None,
    chase: Annotated[
        Path | None,
        typer.Option("--chase", help="Write the chase list (members to contact: email, dues) to this CSV."),
    ] = None,
) -> None:
    """Import ROLL and run the eligibility rules of the vote (a dry run: nothing is stored)."""
    console = out_console()
    with handled("roll check"):
        defn = load_definition(vote_file)
        members = load_roll(roll, {x.id for x in defn.locals})
        snapshot = freeze_snapshot(members, defn.eligibility, datetime.now(UTC))
        rows = readiness_rows(snapshot, [x.id for x in defn.locals])
        console.print(readiness_table(rows))
        for row in rows:
            if row.eligible < MIN_PRIVATE_LOCAL:
                console.print(
                    f"[yellow]warning:[/yellow] local {row.local} has {row.eligible} eligible member(s): "
                    "its tally may reveal how members voted"
                )
        for w in (*members.warnings, *defn.warnings):
            console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
        items = chase_list(snapshot)
        if csv is not None:
            write_readiness_csv(rows, csv)
            console.print(f"Readiness written to {csv}")
        if chase is not None:
            write_chase_csv(items, chase)
            console.print(f"Chase list ({len(items)} member(s)) written to {chase}")
        elif items:
            console.print(f"{len(items)} member(s) could become eligible (use --chase FILE for the list)")
        console.print(
            f"Roll OK: {len(snapshot.eligible)} eligible, {len(snapshot.excluded)} excluded "
            f"(roll digest {snapshot.digest()[:16]}…)"
        )
