"""``strikevote ballot make | cast``: a member's side (encrypt and sign a ballot) and the ballot box's side.

``ballot make`` runs where the member is: it needs the local's public election parameters (from the database,
or an ``election.json`` file) and the private credential of the member's letter; it prints the ballot JSON.
``ballot cast`` hands a ballot to the ballot box, which verifies it, commits it and prints the receipt.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import Election as BelElection
from strikevote.cli.common import DEFAULT_DB, EXIT_USAGE, DbOption, database, fail, handled, out_console
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.services import ballotbox
from strikevote.services.errors import NotFound
from strikevote.services.votes import load_vote

app = typer.Typer(help="Ballots: make one (member side) and cast it (ballot box).", no_args_is_help=True)

_ELECTION = re.compile(r"^\s*(?:Election|Elección):\s*(\S+)\s*$", re.MULTILINE)
_CREDENTIAL = re.compile(r"^\s*(?:Your credential|Su credencial):\s*(\S+)\s*$", re.MULTILINE)


class Choice(StrEnum):
    yes = "yes"
    no = "no"


@dataclass(frozen=True)
class LetterContents:
    election_uuid: str
    credential: str


def read_letter(path: Path) -> LetterContents:
    """The election uuid and the private credential printed in a credential letter (``.eml``, English or
    Spanish; its plain-text part is quoted-printable)."""
    text = letter_text(path.read_bytes())
    e, c = _ELECTION.search(text), _CREDENTIAL.search(text)
    if e is None or c is None:
        raise ValueError(f"{path}: not a strikevote credential letter (no 'Election:' / 'Your credential:')")
    return LetterContents(e.group(1), c.group(1))


def letter_text(raw: bytes) -> str:
    """The plain-text part of a message (the whole text when it is not MIME)."""
    msg = message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(("plain",)) if isinstance(msg, EmailMessage) else None
    if part is None:
        return raw.decode("utf-8", "replace")
    try:
        return str(part.get_content())
    except (LookupError, ValueError):
        return raw.decode("utf-8", "replace")


@app.command("make")
def make(
    choice: Annotated[Choice, typer.Option("--choice", help="Your answer.", case_sensitive=False)],
    vote: Annotated[
        str | None, typer.Argument(help="The vote id (not needed with --election-json).", show_default=False)
    ] = None,
    letter: Annotated[
        Path | None, typer.Option("--letter", help="Your credential letter (.eml): credential and election.")
    ] = None,
    credential: Annotated[
        str | None, typer.Option("--credential", help="Your private credential, XXXXX-XXXXXX-XXXXX-XXXXXX.")
    ] = None,
    local: Annotated[str | None, typer.Option("--local", help="Your local's id.")] = None,
    election_json: Annotated[
        Path | None,
        typer.Option("--election-json", help="The election parameters file instead of the database."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the ballot here instead of stdout.")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Encrypt and sign a yes/no ballot with a member's credential; print the ballot JSON."""
    with handled("ballot make"):
        from_letter: LetterContents | None = None
        if letter is not None:
            try:
                from_letter = read_letter(letter)
            except ValueError as exc:
                raise fail("ballot make", str(exc), EXIT_USAGE) from None
        secret_text = credential or (from_letter.credential if from_letter else None)
        if secret_text is None:
            raise fail("ballot make", "give --letter FILE or --credential C", EXIT_USAGE)
        election = _election(
            vote, local, election_json, from_letter.election_uuid if from_letter else None, db
        )
        if from_letter is not None and from_letter.election_uuid != election.uuid:
            raise fail(
                "ballot make",
                f"the letter is for election {from_letter.election_uuid}, not {election.uuid}",
                EXIT_USAGE,
            )
        secret = derive_secret(election.group, election.uuid, secret_text)
        plaintext = [[1, 0]] if choice is Choice.yes else [[0, 1]]
        ballot = create_ballot(election, secret, plaintext, SystemRandomness())
        if out is not None:
            out.write_text(ballot.raw, encoding="utf-8")
            typer.echo(
                f"Ballot for election {election.uuid} written to {out}; tracker {ballot.tracker}", err=True
            )
        else:
            sys.stdout.write(ballot.raw + "\n")


def _election(
    vote: str | None, local: str | None, election_json: Path | None, uuid: str | None, db: str
) -> BelElection:
    if election_json is not None:
        return BelElection.parse(election_json.read_text(encoding="utf-8"), str(election_json))
    if local is None and uuid is None:
        raise fail("ballot make", "give --local L (or --letter FILE)", EXIT_USAGE)
    if vote is None and (local is not None or uuid is None):
        raise fail("ballot make", "give the VOTE id (or --election-json FILE)", EXIT_USAGE)
    with database(db) as sm, sm() as s:
        if vote is not None:
            load_vote(s, vote)
        if vote is not None and local is not None:
            return BelElection.parse(ballotbox.find_election(s, vote, local).election_json)
        query = select(models.Election).where(models.Election.uuid == uuid)
        if vote is not None:
            query = query.where(models.Election.vote_id == vote)
        found = s.scalar(query)
        if found is None:
            raise NotFound(f"no election {uuid}" + (f" in vote '{vote}'" if vote else ""))
        return BelElection.parse(found.election_json)


@app.command("cast")
def cast(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    ballot: Annotated[Path, typer.Argument(help="The ballot JSON file ('-' for stdin).")],
    local: Annotated[
        str | None, typer.Option("--local", help="Refuse the ballot unless it is for this local.")
    ] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Hand a ballot to the ballot box: verified, committed, then acknowledged with its tracker."""
    with handled("ballot cast"):
        raw = sys.stdin.read() if str(ballot) == "-" else ballot.read_text(encoding="utf-8")
        with database(db) as sm:
            receipt = ballotbox.cast(sm, vote, raw.strip(), datetime.now(UTC), local_id=local)
    out_console().print(
        f"Ballot accepted for local {receipt.local_id} (election {receipt.election_uuid}).\n"
        f"Your receipt (smart ballot tracker): [bold]{receipt.tracker}[/bold]"
    )
