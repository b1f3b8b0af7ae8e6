"""``strikevote result decrypt | publish``: combine the trustees' partial decryptions, apply the rule, write and
independently verify the bundle of DESIGN.md §3."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from strikevote.cli.common import (
    DEFAULT_DB,
    EXIT_REFUSED,
    DbOption,
    database,
    err_console,
    handled,
    out_console,
    progress_bar,
)
from strikevote.report import write_report
from strikevote.services import results

app = typer.Typer(help="Decrypt the tallies and publish the result bundle.", no_args_is_help=True)

VoteArg = Annotated[str, typer.Argument(help="The vote id.")]


@app.command("decrypt")
def decrypt(vote: VoteArg, db: DbOption = DEFAULT_DB) -> None:
    """Combine k trustees' partial decryptions into each local's yes/no counts (published on its board)."""
    with handled("result decrypt"), database(db) as sm:
        counts = results.decrypt_results(sm, vote)
    table = Table(title=f"{vote}: decrypted tallies")
    for col in ("Local", "Yes", "No", "Ballots"):
        table.add_column(col, justify="left" if col == "Local" else "right")
    for local, res in counts.items():
        yes, no = res[0][0], res[0][1]
        table.add_row(local, f"{yes:,}", f"{no:,}", f"{yes + no:,}")
    console = out_console()
    console.print(table)
    console.print("Next: `strikevote result publish --out DIR` applies the rule and writes the bundle.")


@app.command("publish")
def publish(
    vote: VoteArg,
    out: Annotated[Path, typer.Option("--out", help="Directory for the bundle.")],
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Verification worker processes (default: every core).")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Apply the rule, write the bundle (vote.json, locals/*.bel, result.json, report.html), verify it
    independently and record the verification in report.html."""
    from strikevote.verify.bundle import verify_bundle

    with handled("result publish"), database(db) as sm, progress_bar(err_console()) as bar:
        task = bar.add_task("Writing the bundle", total=2)
        outcome = results.publish(sm, vote, out)
        bar.update(task, completed=1, description="Verifying the bundle")
        report = verify_bundle(out, jobs=jobs)
        verification = [(c.name, c.passed, c.detail) for c in report.checks]
        write_report(out, outcome.result, verification)
        bar.update(task, completed=2)
    console = out_console()
    console.print(outcome.result.announcement)
    if report.valid:
        console.print(
            f"Independent verification: [bold green]VALID[/bold green] ({len(report.checks)} checks passed)"
        )
    else:
        for c in report.failures:
            console.print(f"[red]FAIL[/red] {c.name}: {c.detail}")
        console.print("Independent verification: [bold red]INVALID[/bold red]")
    console.print(f"Bundle: {out}  (vote.json, locals/*.bel, result.json, report.html)")
    if not report.valid:
        raise typer.Exit(EXIT_REFUSED)
