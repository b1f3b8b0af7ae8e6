"""The credential authority's store on the command line: its path and passphrase.

The passphrase comes from ``--passphrase-file FILE``, else the environment variable
``STRIKEVOTE_CA_PASSPHRASE``, else a hidden prompt (asked twice when a new store is made); never from the
command line, so it does not show in ``ps`` or a shell history.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from strikevote.cli.common import EXIT_USAGE, fail
from strikevote.services.castore import CAStore

PASSPHRASE_ENV = "STRIKEVOTE_CA_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="The credential authority's encrypted store of private credentials (a file of its own, not the "
        "database; made by `credentials issue` when missing).",
    ),
]
PassphraseFileOption = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"A file holding the store's passphrase (else ${PASSPHRASE_ENV}, else a prompt).",
    ),
]


def passphrase(command: str, passphrase_file: Path | None, *, new: bool) -> str:
    if passphrase_file is not None:
        try:
            value = passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise fail(command, f"{passphrase_file}: {exc.strerror}", EXIT_USAGE) from None
        except UnicodeDecodeError:
            raise fail(command, f"{passphrase_file}: not a UTF-8 text file", EXIT_USAGE) from None
        if not value:
            raise fail(command, f"{passphrase_file}: the passphrase file is empty", EXIT_USAGE)
        return value
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    try:
        return str(
            typer.prompt(
                "Passphrase of the credential authority's store",
                hide_input=True,
                confirmation_prompt=new,
            )
        )
    except typer.Abort:
        raise fail(
            command, f"no passphrase (give --passphrase-file or set ${PASSPHRASE_ENV})", EXIT_USAGE
        ) from None


def open_store(command: str, path: Path, passphrase_file: Path | None, *, create: bool = False) -> CAStore:
    """Open (or, with ``create``, make) the store; a wrong passphrase raises CAStoreError (a refusal)."""
    new = create and not path.exists()
    secret = passphrase(command, passphrase_file, new=new)
    return CAStore.create(path, secret) if new else CAStore.open(path, secret)
