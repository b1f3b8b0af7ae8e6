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

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.cli.common import DEFAULT_DB, EXIT_USAGE, DbOption, database, fail, handled, out_console
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.randomness import SystemRandomness
from strikevote.services import ballotbox, public

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
    credential_file: Annotated[
        Path | None,
        typer.Option(
            "--credential-file",
            help="A file holding your private credential ('-' for stdin). Without it or --letter you are asked "
            "for it (never on the command line, where other users of the machine can read it).",
        ),
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
        if from_letter is not None and credential_file is not None:
            raise fail("ballot make", "give --letter FILE or --credential-file FILE, not both", EXIT_USAGE)
        secret_text = from_letter.credential if from_letter else _read_credential(credential_file)
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


def _read_credential(path: Path | None) -> str:
    """The private credential from a file, stdin ('-') or a hidden prompt: never from argv."""
    if path is None:
        text = typer.prompt("Your private credential", hide_input=True, err=True)
    elif str(path) == "-":
        text = sys.stdin.readline()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail("ballot make", f"{path}: cannot read the credential ({exc})", EXIT_USAGE) from None
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if len(lines) != 1:
        raise fail("ballot make", f"{path or 'prompt'}: expected one line holding the credential", EXIT_USAGE)
    return lines[0]


def _election(
    vote: str | None, local: str | None, election_json: Path | None, uuid: str | None, db: str
) -> ElectionParams:
    if election_json is not None:
        return ElectionParams.parse(election_json.read_text(encoding="utf-8"), str(election_json))
    if local is None and uuid is None:
        raise fail("ballot make", "give --local L (or --letter FILE)", EXIT_USAGE)
    if vote is None and (local is not None or uuid is None):
        raise fail("ballot make", "give the VOTE id (or --election-json FILE)", EXIT_USAGE)
    with database(db) as sm:
        return ElectionParams.parse(public.find_election_json(sm, vote, local, uuid))


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
    first = (
        f"This ballot was already on the board of local {receipt.local_id} (election {receipt.election_uuid}, "
        f"event {receipt.height}); nothing was added."
        if receipt.resent
        else f"Ballot accepted for local {receipt.local_id} (election {receipt.election_uuid})."
    )
    out_console().print(f"{first}\nYour receipt (smart ballot tracker): [bold]{receipt.tracker}[/bold]")
