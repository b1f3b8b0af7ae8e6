"""``strikevote vote create | setup | status | list``: calling a vote and following it through its states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from strikevote.cli.common import DEFAULT_DB, DbOption, database, handled, out_console
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.roll import load_roll, readiness_rows, readiness_table
from strikevote.services import trustees, votes
from strikevote.services.definition import load_definition
from strikevote.services.tally import partial_owners

app = typer.Typer(help="Call a vote, set up its elections, follow its progress.", no_args_is_help=True)

VoteArg = Annotated[str, typer.Argument(help="The vote id (printed by `vote create`).")]

NEXT_STEP = {
    "keys": "trustees run `strikevote trustee init|polynomial|finish`, then `strikevote vote setup`",
    "credentials": "the credential authority runs `strikevote credentials issue`",
    "open": "members cast ballots; then `strikevote tally close`",
    "closed": "k trustees run `strikevote trustee decrypt`, then `strikevote result decrypt`",
    "tallied": "`strikevote result publish --out DIR`",
    "published": "done: the bundle can be checked with `strikevote verify DIR`",
}


@app.command("create")
def create(
    vote_file: Annotated[Path, typer.Option("--vote-file", help="The vote definition (TOML).")],
    roll: Annotated[Path, typer.Option("--roll", help="The member roll, .csv or .xlsx.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Call a vote: validate the definition, freeze the roll snapshot, record the trustees' seats."""
    console = out_console()
    with handled("vote create"):
        defn = load_definition(vote_file)
        members = load_roll(roll, {x.id for x in defn.locals})
        with database(db, create=True) as sm:
            called = votes.call_vote(sm, defn, members, datetime.now(UTC).replace(microsecond=0))
    console.print(readiness_table(readiness_rows(called.snapshot, [x.id for x in defn.locals])))
    for w in called.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(
        f"Vote called: [bold]{called.vote_id}[/bold] ({len(called.snapshot.eligible)} eligible members, "
        f"trustees {defn.trustees_k} of {defn.trustees_n})"
    )
    console.print(f"Next: {NEXT_STEP['keys']}")


@app.command("setup")
def setup(vote: VoteArg, db: DbOption = DEFAULT_DB) -> None:
    """Assemble the trustees' threshold key and create one Belenios election per local."""
    console = out_console()
    with handled("vote setup"), database(db) as sm:
        fingerprint = trustees.setup_elections(sm, vote, SystemRandomness())
        with sm() as s:
            els = votes.elections(s, vote)
    table = Table(title=f"Elections of {vote}")
    table.add_column("Local")
    table.add_column("Election uuid", no_wrap=True)
    table.add_column("Fingerprint", overflow="fold")
    table.add_column("Eligible", justify="right")
    for el in els:
        table.add_row(el.local_id, el.uuid, el.fingerprint, f"{el.eligible:,}")
    console.print(table)
    console.print(f"Trustees' fingerprint: {fingerprint}")
    console.print(f"Next: {NEXT_STEP['credentials']}")


@app.command("status")
def status(vote: VoteArg, db: DbOption = DEFAULT_DB) -> None:
    """The vote's state, the trustees' progress and each local's counts."""
    console = out_console()
    with handled("vote status"), database(db) as sm, sm() as s:
        row, defn = votes.load_vote(s, vote)
        console.print(f"[bold]{row.id}[/bold]: {defn.union} — {defn.title}")
        console.print(
            f"State: [bold]{row.state}[/bold]   window {defn.opens.isoformat()} → {defn.closes.isoformat()} "
            f"({defn.timezone})   revote {defn.revote}   rule {defn.rule_spec if isinstance(defn.rule_spec, str) else 'inline'}"
        )
        els = votes.elections(s, vote)
        decrypted: dict[int, int] = {}
        for el in els:
            for owner in partial_owners(s, el):
                decrypted[owner] = decrypted.get(owner, 0) + 1
        tt = Table(title=f"Trustees ({defn.trustees_k} of {defn.trustees_n} needed to decrypt)")
        for col in ("#", "Name", "Certificate", "Polynomial", "Verification key", "Decrypted"):
            tt.add_column(col)
        for t in s.scalars(
            select(models.Trustee).where(models.Trustee.vote_id == vote).order_by(models.Trustee.index)
        ):
            tt.add_row(
                str(t.index),
                t.name,
                _tick(t.certificate),
                _tick(t.polynomial),
                _tick(t.verification_key),
                f"{decrypted.get(t.index, 0)}/{len(els)} locals" if els else "–",
            )
        console.print(tt)
        lt = Table(title="Locals")
        for col in ("Local", "Eligible", "Excluded", "Credentials", "Ballots", "Voters", "Events"):
            lt.add_column(col, justify="left" if col == "Local" else "right")
        by_local: dict[str, models.Election] = {el.local_id: el for el in els}
        for loc in defn.locals:
            eligible, excluded = (
                _count(
                    s,
                    models.Member,
                    (models.Member.vote_id == vote)
                    & (models.Member.local_id == loc.id)
                    & (models.Member.eligible == flag),
                )
                for flag in (True, False)
            )
            local_el = by_local.get(loc.id)
            if local_el is None:
                lt.add_row(loc.id, f"{eligible:,}", f"{excluded:,}", "–", "–", "–", "–")
                continue
            voters = (
                s.scalar(
                    select(func.count(func.distinct(models.Ballot.credential))).where(
                        models.Ballot.election_id == local_el.id
                    )
                )
                or 0
            )
            lt.add_row(
                loc.id,
                f"{eligible:,}",
                f"{excluded:,}",
                f"{_count(s, models.Credential, models.Credential.election_id == local_el.id):,}",
                f"{_count(s, models.Ballot, models.Ballot.election_id == local_el.id):,}",
                f"{voters:,}",
                f"{_count(s, models.Event, models.Event.election_id == local_el.id):,}",
            )
        console.print(lt)
        console.print(f"Next: {NEXT_STEP.get(row.state, '?')}")


@app.command("list")
def list_votes(db: DbOption = DEFAULT_DB) -> None:
    """Every vote in the database."""
    console = out_console()
    with handled("vote list"), database(db) as sm, sm() as s:
        table = Table()
        for col in ("Vote", "Union", "Title", "State", "Called"):
            table.add_column(col)
        for v in s.scalars(select(models.Vote).order_by(models.Vote.created_at)):
            table.add_row(v.id, v.union_name, v.title, v.state, v.created_at.isoformat(timespec="minutes"))
        console.print(table)


def _tick(value: str | None) -> str:
    return "[green]✓[/green]" if value else "–"


def _count(s: Session, model: Any, where: ColumnElement[bool]) -> int:
    return s.scalar(select(func.count()).select_from(model).where(where)) or 0
