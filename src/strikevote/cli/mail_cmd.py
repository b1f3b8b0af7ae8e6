"""``strikevote mail send | status | remind``: the durable outbox from the command line.

What officials see is counts: messages by local, kind and state, members with no email by local, the servers'
refusals (without recipients) and how many reminders were queued — never who has or has not voted.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from strikevote.cli.ca_store import PassphraseFileOption, StoreOption, open_store
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
from strikevote.mail import loop, outbox, sender
from strikevote.mail.finisher import Finisher
from strikevote.mail.settings import MailConfigError
from strikevote.services.votes import load_vote, require_state

app = typer.Typer(help="Mail to members: credential letters, confirmations, reminders.", no_args_is_help=True)


@contextmanager
def stop_on_signal() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while sending: the sender stops between two groups of messages, so a
    stop loses nothing and sends nothing twice (a KeyboardInterrupt could land between a group's dots and its
    commit; see :mod:`strikevote.mail.sender`)."""
    stop = threading.Event()

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def finishing(sm: sessionmaker[Session]) -> Iterator[Finisher | None]:
    """A finisher process for the sends of this command (:mod:`strikevote.mail.finisher`): with it, a kill of
    the command sends no message twice."""
    finisher = Finisher.start(sm.kw["bind"])
    try:
        yield finisher
    finally:
        if finisher is not None:
            finisher.close()


def report_send(command: str, vote: str, report: sender.SendReport, stopped: bool = False) -> None:
    """Print what a send did; exit 2 when the server could not be reached, 1 when a message was refused."""
    console = out_console()
    console.print(f"{report.sent} message(s) sent, {report.deferred} deferred, {report.failed} failed.")
    if report.reconciled:
        console.print(f"{report.reconciled} message(s) left unsent by an interrupted sender were sent again.")
    for reply in report.replies:
        console.print(f"  server reply: {reply}")
    if report.waiting_for_store:
        console.print(
            f"{report.waiting_for_store} credential letter(s) wait for the credential authority's store "
            f"(`strikevote mail send {vote} --store FILE`)."
        )
    if stopped:
        console.print(f"Stopped; the rest stays queued: `strikevote mail send {vote}` goes on.")
    if report.login_refused:
        raise fail(
            command,
            f"the mail server refused the login ({report.unreachable}): check the vote's [mail] username and "
            "the password in its password_env variable or password_file; nothing was sent and every message "
            "stays queued",
            EXIT_USAGE,
        )
    if report.unreachable:
        raise fail(
            command,
            f"mail server unreachable ({report.unreachable}); nothing more was sent and every unsent message "
            f"stays queued: run `strikevote mail send {vote}` again",
            EXIT_USAGE,
        )
    if report.failed:
        raise fail(
            command,
            f"{report.failed} message(s) refused by the server: see `strikevote mail status {vote}`",
            EXIT_REFUSED,
        )


@app.command("send")
def send(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    store: StoreOption = None,
    passphrase_file: PassphraseFileOption = None,
    connections: Annotated[
        int, typer.Option("--connections", min=1, max=64, help="Parallel SMTP connections.")
    ] = 8,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Send every queued message (deferred ones are retried now); credential letters need --store."""
    command = "mail send"
    with handled(command), database(db) as sm:
        with sm() as s:
            load_vote(s, vote)
            sender.require_mail(s, vote)
        ca = open_store(command, store, passphrase_file) if store is not None else None  # wrong: nothing sent
        now = datetime.now(UTC)
        queued = loop.queue_due_reminders(sm, vote, now)
        if queued:
            out_console().print(f"{queued} scheduled reminder(s) queued.")
        err = err_console()
        try:
            with progress_bar(err) as bar, stop_on_signal() as stop, finishing(sm) as finisher:
                task = bar.add_task("Sending mail", total=None)
                report = sender.send_pending(
                    sm,
                    vote,
                    store=ca,
                    connections=connections,
                    stop=stop,
                    progress=lambda n: bar.advance(task, n),
                    finisher=finisher,
                )
        except MailConfigError as exc:
            raise fail(command, str(exc), EXIT_USAGE) from None
        report_send(command, vote, report, stopped=stop.is_set())


@app.command("status")
def status(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Messages by local, kind and state; members without email by local; the servers' refusals."""
    with handled("mail status"), database(db) as sm, sm() as s:
        load_vote(s, vote)
        st = outbox.status(s, vote)
        locals_ = sorted({k[0] for k in st.counts} | set(st.no_email))
    console = out_console()
    table = Table(title=f"Mail of vote {vote}")
    table.add_column("local")
    table.add_column("kind")
    for state in outbox.STATES:
        table.add_column(state, justify="right")
    for local in locals_:
        for kind in outbox.KINDS:
            row = [st.counts.get((local, kind, state), 0) for state in outbox.STATES]
            if any(row):
                table.add_row(local, kind, *(str(n) for n in row))
    console.print(table)
    if st.no_email:
        console.print("Eligible members with no email (no message; a printed letter is needed):")
        for local in sorted(st.no_email):
            console.print(f"  local {local}: {st.no_email[local]}")
    else:
        console.print("Every eligible member has an email address.")
    for (kind, reply), n in sorted(st.failures.items()):
        console.print(f"Failed {kind}: {n} — {reply}")
    if st.failed_letters:
        console.print(
            "Credential letters refused (fix the address, then `strikevote credentials resend`): "
            + ", ".join(st.failed_letters)
        )


@app.command("remind")
def remind(
    vote: Annotated[str, typer.Argument(help="The vote id.")],
    local: Annotated[str | None, typer.Option("--local", help="Only this local's members.")] = None,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Queue a reminder to every member who has not voted yet; only how many are queued is shown."""
    with handled("mail remind"), database(db) as sm:
        with sm() as s:
            v, defn = load_vote(s, vote)
            require_state(v, "open")
            sender.require_mail(s, vote)
            if local is not None and local not in {x.id for x in defn.locals}:
                raise fail("mail remind", f"vote '{vote}' has no local '{local}'", EXIT_USAGE)
        now = datetime.now(UTC)
        n = outbox.queue_reminders(sm, vote, now, f"manual:{now.isoformat()}", local)
    where = f" in local {local}" if local else ""
    out_console().print(
        f"{n} reminder(s) queued{where}. They go out with `strikevote mail send {vote}` "
        "or the server's mail loop."
    )
