"""``strikevote demo`` (temporary: a single simulated local, verified; replaced by the full lifecycle demo)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikevote.belenios.simulate import simulate
from strikevote.crypto.groups import group_by_name
from strikevote.verify.archive import verify_archive


def demo(
    members: Annotated[int, typer.Option(help="Number of voters.")] = 200,
    group: Annotated[str, typer.Option(help="Ed25519 or BELENIOS-2048.")] = "Ed25519",
    out: Annotated[Path | None, typer.Option(help="Output directory.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
) -> None:
    """Run a simulated vote and verify it."""
    console = Console()
    out = out or Path(tempfile.mkdtemp(prefix="strikevote-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    votes = [1 if i % 10 else 0 for i in range(members)]
    sim = simulate(out / "local.bel", group_by_name(group), votes, seed=seed, jobs=2)
    report, _ = verify_archive(sim.path)
    console.print(f"result {sim.result}; verification {'VALID' if report.valid else 'INVALID'}; archive {sim.path}")
