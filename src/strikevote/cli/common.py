"""What every command shares: the ``--db`` option, opening the database, and turning refusals into exit codes.

Exit codes: 0 done; 1 refused (the request was understood but the vote's state, a key or a ballot says no);
2 usage error or bad input (an unreadable or invalid file, an unknown vote, no database at the given path);
3 service unavailable (the database cannot be reached, is locked or full, or kept refusing the transaction:
nothing was changed, and the same command can be run again later).
Every error is printed on stderr as ``strikevote <command>: <what went wrong>``, never as a traceback.

Imports of the services, the database layer and the crypto happen inside the commands and here only when an
error is being translated, so that a command pays only for what it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from sqlalchemy.orm import Session, sessionmaker

EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 1, 2, 3
DEFAULT_DB = "sqlite:///strikevote.db"  # a file in the current directory, unless --db or STRIKEVOTE_DB says
MAX_ROLL_LINES = 25

SUPPORTED_DB = ("sqlite", "postgresql", "postgres")


def check_db_url(ctx: typer.Context, url: str | None) -> str | None:
    """Refuse, in one line, a database URL of a kind strikevote does not run on (else a driver's traceback)."""
    if url is None:
        return None
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DB:
        typer.echo(
            f"{ctx.command_path}: unsupported database URL {url!r}: use sqlite:///FILE or "
            "postgresql://USER@HOST/DB",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    return url


DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="STRIKEVOTE_DB",
        help="Database URL: sqlite:///FILE or postgresql://USER@HOST/DB (env STRIKEVOTE_DB).",
        show_default=True,
        callback=check_db_url,
    ),
]


def out_console() -> Console:
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def err_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def fail(command: str, message: str, code: int) -> typer.Exit:
    """Print ``strikevote COMMAND: MESSAGE`` on stderr; return the Exit to raise."""
    typer.echo(f"strikevote {command}: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def handled(command: str) -> Iterator[None]:
    """Map the typed errors of the services, the roll importer and the database to one line and an exit code."""
    try:
        yield
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise _translate(command, exc) from None


def _translate(command: str, exc: Exception) -> typer.Exit:
    from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError

    from strikevote.belenios.errors import FormatError
    from strikevote.crypto.errors import CryptoError
    from strikevote.db.engine import SchemaError
    from strikevote.roll import RollError
    from strikevote.services.bundle_dir import BundleDirError
    from strikevote.services.errors import (
        BallotRejected,
        DefinitionError,
        KeyFileError,
        NotFound,
        ServiceError,
        Unavailable,
    )
    from strikevote.services.retry import describe

    if isinstance(exc, RollError):
        lines = [str(e) for e in exc.errors]
        for line in lines[:MAX_ROLL_LINES]:
            typer.echo(f"strikevote {command}: {line}", err=True)
        if len(lines) > MAX_ROLL_LINES:
            typer.echo(
                f"strikevote {command}: ... and {len(lines) - MAX_ROLL_LINES} more problem(s)", err=True
            )
        typer.echo(f"strikevote {command}: the roll was not imported (fix every line above)", err=True)
        return typer.Exit(EXIT_USAGE)
    if isinstance(exc, DefinitionError | NotFound | SchemaError | BundleDirError | KeyFileError):
        return fail(command, str(exc), EXIT_USAGE)
    if isinstance(exc, Unavailable) or (isinstance(exc, BallotRejected) and exc.reason == "busy"):
        return fail(command, str(exc), EXIT_UNAVAILABLE)
    if isinstance(exc, ServiceError):
        return fail(command, str(exc), EXIT_REFUSED)
    if isinstance(exc, FormatError | CryptoError):
        return fail(command, f"invalid input: {exc}", EXIT_USAGE)
    if isinstance(exc, UnicodeDecodeError):
        return fail(command, f"not a UTF-8 text file ({exc.reason} at byte {exc.start})", EXIT_USAGE)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(command, f"{where}{exc.strerror or exc}", EXIT_USAGE)
    if isinstance(exc, RecursionError):
        return fail(command, "invalid input: nested too deeply", EXIT_USAGE)
    if isinstance(exc, ArgumentError):
        return fail(command, f"database URL: {exc}", EXIT_USAGE)
    if isinstance(exc, IntegrityError):
        return fail(command, f"database: {describe(exc)}; nothing was changed, try again", EXIT_UNAVAILABLE)
    if isinstance(exc, DBAPIError):
        reason = describe(exc)
        code = EXIT_USAGE if _bad_database_argument(exc) else EXIT_UNAVAILABLE
        return fail(command, f"database unavailable: {reason}" if code == 3 else f"database: {reason}", code)
    if isinstance(exc, SQLAlchemyError):
        return fail(command, f"database error: {type(exc).__name__}", EXIT_REFUSED)
    raise exc


def _bad_database_argument(exc: Exception) -> bool:
    """A database error caused by what the user gave (a path that cannot be a database, a database or role that
    does not exist), as opposed to a server down, restarting, locked or full (exit 3)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return any(
        part in text
        for part in (
            "unable to open database file",
            "file is not a database",
            "does not exist",
            "authentication",
        )
    )


@contextmanager
def database(url: str, *, create: bool = False) -> Iterator[sessionmaker[Session]]:
    """Open the database for one command; its connections are closed afterwards.

    The schema's version is checked, and migrated only when it is behind.  Only ``create=True`` (``vote create``)
    makes a new database: any other command on a missing SQLite file says so instead of leaving an empty one.
    """
    from strikevote.db.engine import connect

    db = connect(url, create=create)
    try:
        yield db
    finally:
        bind = db.kw.get("bind")
        if bind is not None:
            bind.dispose()


def progress_bar(console: Console) -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # no bar (nor a stray blank line) when output goes to a file
    )
