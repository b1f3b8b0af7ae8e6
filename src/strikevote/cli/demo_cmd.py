"""``strikevote demo``: a whole simulated vote through the real services (DESIGN.md §8)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikevote.cli.common import check_db_url
from strikevote.demo.runner import run_demo
from strikevote.demo.scenario import SCENARIOS, load_scenario
from strikevote.services.errors import ServiceError


def demo(
    scenario: Annotated[
        str | None,
        typer.Option(
            metavar="NAME|FILE",
            help=f"A built-in scenario ({', '.join(SCENARIOS)}; default iatse-2021) or a scenario TOML file "
            "(see README).",
        ),
    ] = None,
    preset: Annotated[
        str | None, typer.Option(hidden=True, help="Deprecated spelling of --scenario NAME.")
    ] = None,
    members: Annotated[
        int | None, typer.Option(help="Scale the scenario to about this many members.")
    ] = None,
    group: Annotated[str, typer.Option(help="Ed25519 or BELENIOS-2048.")] = "Ed25519",
    db: Annotated[
        str | None,
        typer.Option(help="Database URL (default: SQLite in the private directory).", callback=check_db_url),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Directory for the public bundle, and only it (default: a new temporary one)."),
    ] = None,
    private: Annotated[
        Path | None,
        typer.Option(
            help="Directory for what must never be published: trustee keys, credential letters, roll, "
            "database (default: DIR.private next to the bundle)."
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for a reproducible simulation (never for real votes).")
    ] = None,
) -> None:
    """Run a whole simulated vote: roll, trustees, credentials, ballots, tally, decryption, result, report."""
    console = Console()
    if preset is not None:
        if scenario is not None:
            typer.echo(
                "strikevote demo: give --scenario only (--preset is its deprecated spelling)", err=True
            )
            raise typer.Exit(2)
        typer.echo("strikevote demo: --preset is deprecated, use --scenario NAME", err=True)
    try:
        if preset is not None or scenario is None or scenario in SCENARIOS:
            plan = load_scenario(name=preset or scenario)
        else:
            plan = load_scenario(Path(scenario))
        if members:
            plan = plan.scaled(members)
        out = out or Path(tempfile.mkdtemp(prefix="strikevote-demo-"))
        outcome = run_demo(plan, out, private=private, db_url=db, group=group, seed=seed, console=console)
    except ServiceError as exc:
        typer.echo(f"strikevote demo: {exc}", err=True)
        raise typer.Exit(2) from None
    console.print()
    console.print(outcome.result.announcement, highlight=False)
    console.print()
    status = "[bold green]VALID[/bold green]" if outcome.valid else "[bold red]INVALID[/bold red]"
    console.print(
        f"Independent verification: {status} ({', '.join(outcome.failures) or 'all checks passed'})"
    )
    console.print(
        f"Bundle (public): {outcome.out}  (vote.json, locals/*.bel, result.json, report.html)",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"Private, never publish: {outcome.private}  (trustee keys, credential letters, roll"
        f"{', database' if db is None else ''})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        "Phases: " + ", ".join(f"{k} {v:.1f}s" for k, v in outcome.timings.items()), highlight=False
    )
    if not outcome.valid:
        raise typer.Exit(1)
