"""What every command shares: the ``--db`` option, opening the database, and turning refusals into exit codes.

Exit codes: 0 done; 1 refused (the request was understood but the vote's state, a key or a ballot says no);
2 usage error or bad input (an unreadable or invalid file, an unknown vote, a database that cannot be opened).
Every error is printed on stderr as ``strikevote <command>: <what went wrong>``, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.errors import FormatError
from strikevote.crypto.errors import CryptoError
from strikevote.roll import RollError
from strikevote.services.bundle_dir import BundleDirError
from strikevote.services.errors import DefinitionError, KeyFileError, NotFound, ServiceError

EXIT_REFUSED, EXIT_USAGE = 1, 2
DEFAULT_DB = "sqlite:///strikevote.db"
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
    return Console(soft_wrap=True, highlight=False)


def err_console() -> Console:
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
    except typer.Exit:
        raise
    except RollError as exc:
        lines = [str(e) for e in exc.errors]
        for line in lines[:MAX_ROLL_LINES]:
            typer.echo(f"strikevote {command}: {line}", err=True)
        if len(lines) > MAX_ROLL_LINES:
            typer.echo(
                f"strikevote {command}: ... and {len(lines) - MAX_ROLL_LINES} more problem(s)", err=True
            )
        typer.echo(f"strikevote {command}: the roll was not imported (fix every line above)", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    except (DefinitionError, NotFound, BundleDirError, KeyFileError) as exc:
        raise fail(command, str(exc), EXIT_USAGE) from None
    except ServiceError as exc:
        raise fail(command, str(exc), EXIT_REFUSED) from None
    except (FormatError, CryptoError) as exc:
        raise fail(command, f"invalid input: {exc}", EXIT_USAGE) from None
    except UnicodeDecodeError as exc:
        raise fail(command, f"not a UTF-8 text file ({exc.reason} at byte {exc.start})", EXIT_USAGE) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise fail(command, f"{where}{exc.strerror or exc}", EXIT_USAGE) from None
    except (ArgumentError, OperationalError) as exc:
        first = str(exc.orig if isinstance(exc, OperationalError) else exc).strip().splitlines()
        raise fail(command, f"database: {first[0] if first else exc}", EXIT_USAGE) from None
    except SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()
        raise fail(command, f"database error: {first[0] if first else exc}", EXIT_REFUSED) from None


@contextmanager
def database(url: str) -> Iterator[sessionmaker[Session]]:
    """Open (and migrate) the database for one command; its connections are closed afterwards."""
    from strikevote.db.engine import open_db

    db = open_db(url)
    try:
        yield db
    finally:
        bind = db.kw.get("bind")
        if bind is not None:
            bind.dispose()


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<30}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,  # no bar (nor a stray blank line) when output goes to a file
    )
