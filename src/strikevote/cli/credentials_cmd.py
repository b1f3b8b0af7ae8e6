"""``strikevote credentials issue``: the credential authority writes (and optionally mails) one letter per
eligible member.  The server keeps the public credentials only; the letters hold the private ones."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from strikevote.cli.common import (
    DEFAULT_DB,
    EXIT_REFUSED,
    EXIT_USAGE,
    DbOption,
    database,
    err_console,
    fail,
    handled,
    out_console,
    progress_bar,
)
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.services import credentials
from strikevote.services.credentials import Letter
from strikevote.services.votes import load_vote

app = typer.Typer(help="The credential authority: voters' credentials.", no_args_is_help=True)

SENDER = "credential-authority@strikevote.invalid"


@app.command("issue")
def issue(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    outbox: Annotated[
        Path, typer.Option("--outbox", help="Directory for the letters (one .eml per member, mode 0600).")
    ],
    smtp: Annotated[
        str | None,
        typer.Option("--smtp", help="Also send each letter through this SMTP server, HOST:PORT."),
    ] = None,
    sender: Annotated[str, typer.Option("--from", help="Envelope sender for --smtp.")] = SENDER,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Generate every eligible member's credential, write their letters, and open the vote's boards."""
    server = _parse_smtp(smtp) if smtp else None
    err = err_console()
    with handled("credentials issue"), database(db) as sm:
        with sm() as s:
            load_vote(s, vote)
            total = s.query(models.Member).filter_by(vote_id=vote, eligible=True).count()
        with progress_bar(err) as bar:
            task = bar.add_task("Writing credential letters", total=total)
            try:
                letters = credentials.issue_credentials(
                    sm,
                    vote,
                    outbox,
                    SystemRandomness(),
                    datetime.now(UTC),
                    progress=lambda n: bar.advance(task, n),
                )
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                raise fail(
                    "credentials issue",
                    f"{where}{exc.strerror or exc}; no credential was issued and no letter was left in "
                    f"{outbox}: fix the problem and run `strikevote credentials issue` again",
                    EXIT_USAGE,
                ) from None
    console = out_console()
    console.print(f"{len(letters)} credential letter(s) written to {outbox}; the vote's boards are open.")
    if server is not None:
        try:
            sent = _send(letters, server, sender, err)
        except (OSError, smtplib.SMTPException) as exc:
            raise fail(
                "credentials issue",
                f"sending through {server[0]}:{server[1]} failed ({exc}); every letter is in {outbox}",
                EXIT_REFUSED,
            ) from None
        console.print(f"{sent} letter(s) sent through {server[0]}:{server[1]}.")
    console.print(
        "Next: members vote (`strikevote ballot make` / `ballot cast`); then `strikevote tally close`."
    )


def _parse_smtp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise fail("credentials issue", f"--smtp must be HOST:PORT, got {value!r}", EXIT_USAGE)
    return host, int(port)


def _send(letters: list[Letter], server: tuple[str, int], sender: str, err: Console) -> int:
    """Send every letter, already written to the outbox, through one SMTP connection."""
    sent = 0
    with smtplib.SMTP(server[0], server[1], timeout=30) as conn, progress_bar(err) as bar:
        task = bar.add_task("Sending credential letters", total=len(letters))
        for letter in letters:
            raw = letter.path.read_bytes()
            to = message_from_bytes(raw).get("To") or letter.email
            conn.sendmail(sender, [to], raw)
            sent += 1
            bar.advance(task)
    return sent
