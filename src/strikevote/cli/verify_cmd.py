"""``strikevote verify PATH``: exit 0 valid, 1 invalid (each failed check named), 2 unreadable or usage error.

An archive that stops early (an election in progress: voting open, or the tally not yet decrypted) is valid but
incomplete (see :mod:`strikevote.verify.archive`): what was not checked is printed as INCOMPLETE, the last line
says so, and the exit status is 0, or 1 with ``--require-complete``.  Errors are one line on stderr, never a
traceback: a ValueError or UnicodeError that escaped the format checks is reported as unreadable (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strikevote.belenios.errors import ArchiveError, FormatError, UnreadableError
from strikevote.crypto.errors import CryptoError
from strikevote.records.checks import Check
from strikevote.verify.checks import Report

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
BARE_ARCHIVE_WARNING = (
    "[yellow]warning:[/yellow] Belenios decryption proofs do not bind the ciphertext they decrypt: a trustee "
    "who also controls the last counted ballot can publish a false result that passes these checks, so the "
    "result of a bare .bel archive is only as trustworthy as its trustees. Verify the whole bundle "
    "(strikevote verify DIR), whose strong decryption proofs rule this out."
)


def verify(
    path: Annotated[Path, typer.Argument(help="A vote bundle directory or one Belenios .bel archive.")],
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Worker processes (default: every core).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print failures only.")] = False,
    require_complete: Annotated[
        bool,
        typer.Option(
            "--require-complete",
            help="Exit 1 if an archive stops before its Result (an election still in progress).",
        ),
    ] = False,
    credentials_fingerprint: Annotated[
        list[str] | None,
        typer.Option(
            "--credentials-fingerprint",
            metavar="LOCAL=FP",
            help="A local's credential fingerprint obtained out of band (e.g. from a letter); repeatable. "
            "For a single .bel archive LOCAL may be anything.",
        ),
    ] = None,
) -> None:
    """Verify a vote bundle or a Belenios archive independently of whoever produced it."""
    err = Console(stderr=True, soft_wrap=True)
    out = Console(soft_wrap=True)
    if not path.exists():
        typer.echo(f"strikevote verify: {path}: no such file or directory", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    if not (path.is_dir() or path.is_file()):  # a named pipe would block the reader; a device, worse
        typer.echo(f"strikevote verify: {path}: not a regular file or a directory", err=True)
        raise typer.Exit(EXIT_UNREADABLE)
    fingerprints: dict[str, str] = {}
    for item in credentials_fingerprint or []:
        lid, sep, fp = item.partition("=")
        if not sep or not lid or not fp:
            typer.echo(f"strikevote verify: --credentials-fingerprint {item!r}: expected LOCAL=FP", err=True)
            raise typer.Exit(EXIT_UNREADABLE)
        fingerprints[lid] = fp
    try:
        report = _run(
            path, jobs, show_progress=not quiet and sys.stderr.isatty(), console=err, fps=fingerprints
        )
    except (ArchiveError, UnreadableError) as exc:
        typer.echo(f"strikevote verify: unreadable: {_one_line(exc)}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except (FormatError, CryptoError) as exc:
        typer.echo(f"strikevote verify: INVALID: format: {_one_line(exc)}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    # A last resort: the causes are checked where the input is parsed, this only keeps the promise of one line.
    except (ValueError, UnicodeError, RecursionError) as exc:
        typer.echo(f"strikevote verify: unreadable: {path.name}: {_one_line(exc)}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    for c in report.checks:
        if not c.passed:
            out.print(f"[red]FAIL[/red] {c.name}: {c.detail}", highlight=False)
        elif c.incomplete:
            out.print(f"[yellow]INCOMPLETE[/yellow] {c.name}: {c.detail}", highlight=False)
        elif not quiet:
            out.print(f"[green]ok[/green]   {c.name}: {c.detail}", highlight=False)
    incomplete = report.incomplete
    if report.valid and incomplete:
        out.print(
            f"[bold yellow]VALID BUT INCOMPLETE[/bold yellow] {path}: {len(report.checks)} checks passed; "
            f"not checked: {'; '.join(c.detail for c in incomplete)}",
            highlight=False,
        )
        raise typer.Exit(EXIT_INVALID if require_complete else EXIT_VALID)
    if not path.is_dir():
        out.print(BARE_ARCHIVE_WARNING, highlight=False)
    if report.valid:
        out.print(
            f"[bold green]VALID[/bold green] {path}: {len(report.checks)} checks passed", highlight=False
        )
        raise typer.Exit(EXIT_VALID)
    names = sorted({c.name for c in report.failures})
    out.print(f"[bold red]INVALID[/bold red] {path}: failed {', '.join(names)}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _run(
    path: Path, jobs: int | None, *, show_progress: bool, console: Console, fps: dict[str, str]
) -> Report:
    if path.is_dir():
        from strikevote.verify.bundle import verify_bundle

        return verify_bundle(path, jobs=jobs, credentials_fingerprints=fps)
    from strikevote.verify.archive import verify_archive

    if not show_progress:
        report, facts = verify_archive(path, jobs=jobs)
    else:
        with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True) as bar:  # fmt: skip
            task = bar.add_task(f"verifying {path.name}", total=None)
            report, facts = verify_archive(path, jobs=jobs, progress=lambda i: bar.update(task, completed=i))
    for lid, fp in sorted(fps.items()):
        got = facts.credentials_fingerprint
        report.check(
            Check.CREDENTIALS_FINGERPRINT,
            got == fp,
            f"{lid}: credential fingerprint {got} " + ("is the one given" if got == fp else f"is not {fp}"),
        )
    return report
