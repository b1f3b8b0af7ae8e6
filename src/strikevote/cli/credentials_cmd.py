"""``strikevote credentials issue`` and ``resend``: the credential authority's commands.

The server keeps the public credentials only.  Private credentials go to the authority's encrypted store
(``--store``) and/or to letter files (``--outbox``); a vote with a ``[mail]`` block has its letters queued in
the durable outbox and mailed by ``strikevote mail send VOTE --store FILE`` (or at once with ``--send``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from strikevote.cli.ca_store import PassphraseFileOption, StoreOption, open_store
from strikevote.cli.common import (
    DEFAULT_DB,
    EXIT_USAGE,
    DbOption,
    database,
    err_console,
    fail,
    handled,
    out_console,
    progress_bar,
)
from strikevote.cli.mail_cmd import finishing, report_send, stop_on_signal
from strikevote.crypto.randomness import SystemRandomness
from strikevote.mail import outbox as mail_outbox
from strikevote.mail import sender
from strikevote.services import credentials

app = typer.Typer(help="The credential authority: voters' credentials.", no_args_is_help=True)


@app.command("issue")
def issue(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    outbox: Annotated[
        Path | None,
        typer.Option("--outbox", help="Also write the letters here (one .eml per member, mode 0600)."),
    ] = None,
    store: StoreOption = None,
    passphrase_file: PassphraseFileOption = None,
    send: Annotated[
        bool, typer.Option("--send", help="Mail the queued letters at once (as `strikevote mail send`).")
    ] = False,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Generate every eligible member's credential, keep or write their letters, and open the vote's boards."""
    command = "credentials issue"
    if outbox is None and store is None:
        raise fail(
            command,
            "give --store FILE (the authority's store) and/or --outbox DIR (letter files)",
            EXIT_USAGE,
        )
    if send and store is None:
        raise fail(
            command, "--send needs --store: credential letters are rendered from the store", EXIT_USAGE
        )
    err = err_console()
    with handled(command), database(db) as sm:
        if store is not None and _same_file(store, db):
            raise fail(command, f"{store}: the store must be a file of its own, not the database", EXIT_USAGE)
        total = credentials.members_to_issue(sm, vote)
        ca = open_store(command, store, passphrase_file, create=True) if store is not None else None
        with progress_bar(err) as bar:
            task = bar.add_task("Issuing credentials", total=total)
            try:
                letters = credentials.issue_credentials(
                    sm,
                    vote,
                    outbox,
                    SystemRandomness(),
                    datetime.now(UTC),
                    progress=lambda n: bar.advance(task, n),
                    store=ca,
                )
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                raise fail(
                    command,
                    f"{where}{exc.strerror or exc}; no credential was issued and no letter was left in "
                    f"{outbox or store}: fix the problem and run `strikevote credentials issue` again",
                    EXIT_USAGE,
                ) from None
        queued = mail_outbox.queued(sm, vote, "credential")
        console = out_console()
        if outbox is not None:
            console.print(
                f"{len(letters)} credential letter(s) written to {outbox}; the vote's boards are open."
            )
        else:
            console.print(f"{len(letters)} credential(s) issued; the vote's boards are open.")
        if store is not None:
            console.print(f"Private credentials kept, encrypted, in {store}.")
        if queued:
            console.print(f"{queued} credential letter(s) queued for mail.")
        if send and ca is not None and queued:
            with stop_on_signal() as stop, finishing(sm) as finisher:
                report = sender.send_pending(sm, vote, store=ca, stop=stop, finisher=finisher)
            report_send(command, vote, report, stopped=stop.is_set())
        elif queued:
            console.print(f"Send them with `strikevote mail send {vote} --store {store}`.")
    out_console().print(
        "Next: members vote (the booth, or `strikevote ballot make` / `ballot cast`); then `strikevote tally close`."
    )


@app.command("resend")
def resend(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    member: Annotated[str, typer.Argument(help="The member id whose letter was lost.")],
    store: Annotated[Path, typer.Option("--store", help="The credential authority's store.")],
    passphrase_file: PassphraseFileOption = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Mail a member the same credential again (never a new one: the vote's credential lists are fixed)."""
    command = "credentials resend"
    with handled(command), database(db) as sm:
        ca = open_store(command, store, passphrase_file)
        queued = credentials.queue_resend(sm, vote, member, ca, datetime.now(UTC))
        with stop_on_signal() as stop, finishing(sm) as finisher:
            report = sender.send_pending(sm, vote, store=ca, only_ids=[queued], stop=stop, finisher=finisher)
        report_send(command, vote, report, stopped=stop.is_set())


def _same_file(store: Path, db_url: str) -> bool:
    if not db_url.startswith("sqlite:///"):
        return False
    db_path = Path(db_url.removeprefix("sqlite:///"))
    try:
        return store.exists() and db_path.exists() and store.samefile(db_path)
    except OSError:
        return False
