"""``strikevote vote create | setup | status | list``: calling a vote and following it through its states."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from strikevote.cli.common import DEFAULT_DB, DbOption, database, handled, out_console
from strikevote.cli.tables import print_table
from strikevote.crypto.randomness import SystemRandomness
from strikevote.roll import load_roll, readiness_rows, readiness_table
from strikevote.services import public, trustees, votes
from strikevote.services.definition import load_definition
from strikevote.services.status import NEXT_STEP, vote_status

app = typer.Typer(help="Call a vote, set up its elections, follow its progress.", no_args_is_help=True)

VoteArg = Annotated[str, typer.Argument(help="The vote id (printed by `vote create`).")]


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
    for w in (*members.warnings, *called.warnings):
        console.print(f"[yellow]warning:[/yellow] {w}", highlight=False)
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
    print_table(
        console,
        ("Local", "Election uuid", "Fingerprint", "Eligible"),
        [(el.local_id, el.uuid, el.fingerprint, f"{el.eligible:,}") for el in els],
        whole=("Local", "Election uuid", "Fingerprint"),
        right=("Eligible",),
        title=f"Elections of {vote}",
    )
    console.print(f"Trustees' fingerprint: {fingerprint}")
    console.print(f"Next: {NEXT_STEP['credentials']}")


@app.command("status")
def status(vote: VoteArg, db: DbOption = DEFAULT_DB) -> None:
    """The vote's state, the trustees' progress and each local's counts."""
    console = out_console()
    with handled("vote status"), database(db) as sm:
        st = vote_status(sm, vote)
    defn = st.definition
    console.print(f"[bold]{st.vote_id}[/bold]: {defn.union} — {defn.title}")
    console.print(
        f"State: [bold]{st.state}[/bold]   window {defn.opens.isoformat()} → {defn.closes.isoformat()} "
        f"({defn.timezone})   revote {defn.revote}   rule {defn.rule_spec if isinstance(defn.rule_spec, str) else 'inline'}"
    )
    tt = Table(title=f"Trustees ({defn.trustees_k} of {defn.trustees_n} needed to decrypt)")
    for col in ("#", "Name", "Certificate", "Polynomial", "Verification key", "Decrypted"):
        tt.add_column(col)
    for t in st.trustees:
        tt.add_row(
            str(t.index),
            t.name,
            _tick(t.has_certificate),
            _tick(t.has_polynomial),
            _tick(t.has_verification_key),
            f"{t.decrypted_locals}/{st.elections} locals" if st.elections else "–",
        )
    console.print(tt)
    lt = Table(title="Locals")
    for col in ("Local", "Eligible", "Excluded", "Credentials", "Ballots", "Voters", "Events"):
        lt.add_column(col, justify="left" if col == "Local" else "right")
    for loc in st.locals:
        counts = (loc.credentials, loc.ballots, loc.voters, loc.events)
        lt.add_row(
            loc.local,
            f"{loc.eligible:,}",
            f"{loc.excluded:,}",
            *("–" if n is None else f"{n:,}" for n in counts),
        )
    console.print(lt)
    console.print(f"Next: {st.next_step}")


@app.command("list")
def list_votes(db: DbOption = DEFAULT_DB) -> None:
    """Every vote in the database."""
    console = out_console()
    with handled("vote list"), database(db) as sm:
        rows = [
            (v.id, v.union, v.title, v.state, v.created_at.isoformat(timespec="minutes"))
            for v in public.list_votes(sm)
        ]
    # ids whole (they are typed into the next command); union and title fold
    print_table(
        console, ("Vote", "Union", "Title", "State", "Called"), rows, whole=("Vote", "State", "Called")
    )


def _tick(value: bool) -> str:
    return "[green]✓[/green]" if value else "–"
