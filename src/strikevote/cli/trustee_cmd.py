"""``strikevote trustee …``: the committee's ``export`` / ``import`` and each trustee's four steps.

The committee (with the database)::

    strikevote trustee export VOTE --out FILE     # what the trustees' next step needs (public)
    strikevote trustee import VOTE FILE           # a trustee's message, checked before it is stored

Each trustee, on their own machine (no database, no network), from the committee's export::

    strikevote trustee init       --from EXPORT --index I --key-file K --out MESSAGE
    strikevote trustee polynomial --from EXPORT --key-file K --out MESSAGE
    strikevote trustee finish     --from EXPORT --key-file K --out MESSAGE
    strikevote trustee decrypt    --from EXPORT --key-file K --out MESSAGE   # verifies the archives first

The key file is encrypted under the trustee's passphrase, read from a prompt, ``--passphrase-file`` or the
environment variable ``STRIKEVOTE_TRUSTEE_PASSPHRASE`` (never from the command line).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from strikevote.cli.common import (
    DEFAULT_DB,
    EXIT_REFUSED,
    EXIT_USAGE,
    DbOption,
    database,
    fail,
    handled,
    out_console,
)
from strikevote.crypto.randomness import SystemRandomness
from strikevote.trustee import keyfile, steps
from strikevote.trustee.errors import TrusteeFileError, TrusteeRefusal
from strikevote.trustee.messages import message_json, parse_export, read_file

app = typer.Typer(
    help="Trustees: the k-of-n key ceremony and partial decryptions, on the trustees' own machines.",
    no_args_is_help=True,
)

PASSPHRASE_ENV = "STRIKEVOTE_TRUSTEE_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
VoteArg = Annotated[str, typer.Argument(help="The vote id.")]
KeyFile = Annotated[
    Path, typer.Option("--key-file", help="This trustee's encrypted key file (keep it on this machine).")
]
FromOption = Annotated[
    Path, typer.Option("--from", help="The committee's export for this step (`strikevote trustee export`).")
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Where to write this step's public message for the committee.")
]
PassFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"Read the key file's passphrase from this file (else ${PASSPHRASE_ENV}, else a prompt).",
    ),
]


@contextmanager
def _trustee_side(command: str) -> Iterator[None]:
    try:
        yield
    except TrusteeFileError as exc:
        raise fail(command, str(exc), EXIT_USAGE) from None
    except TrusteeRefusal as exc:
        raise fail(command, f"refused: {exc}", EXIT_REFUSED) from None


def _passphrase(path: Path | None, *, confirm: bool) -> bytes:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise TrusteeFileError(f"{path}: cannot read the passphrase ({exc})") from None
    elif os.environ.get(PASSPHRASE_ENV):
        text = os.environ[PASSPHRASE_ENV]
    else:
        text = typer.prompt("Key file passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not text:
        raise TrusteeFileError(f"{path or PASSPHRASE_ENV}: the passphrase is empty")
    return text.encode("utf-8")


def _export(path: Path) -> steps.Export:
    return parse_export(read_file(path, "export"), str(path))


def _write_message(out: Path, msg: steps.Message) -> None:
    keyfile.write_new(out, message_json(msg), mode=0o644)


@app.command("init")
def init(
    index: Annotated[int, typer.Option("--index", help="This trustee's seat, 1..n.", min=1)],
    key_file: KeyFile,
    source: FromOption,
    out: OutOption,
    passphrase_file: PassFile = None,
) -> None:
    """Step 1: create this trustee's secret (the encrypted --key-file) and its certificate (--out)."""
    with _trustee_side("trustee init"):
        if key_file.exists() or key_file.is_symlink():
            raise TrusteeFileError(f"{key_file}: already exists; refusing to overwrite a trustee key")
        export = _export(source)
        key, msg = steps.init(export, index, SystemRandomness(), str(source))
        passphrase = _passphrase(passphrase_file, confirm=True)
        keyfile.create(key_file, key, passphrase)
        _write_message(out, msg)
    out_console().print(
        f"Trustee {index} of vote {export.vote}: secret key written to {key_file} (encrypted, mode 0600);\n"
        f"certificate written to {out}: give it to the committee (`strikevote trustee import`)."
    )


def _key(key_file: Path, passphrase_file: Path | None, vote: str) -> keyfile.TrusteeKey:
    keyfile.read_header(key_file)  # a damaged file or one of another vote is named before the prompt
    return keyfile.open_key(key_file, _passphrase(passphrase_file, confirm=False), vote)


@app.command("polynomial")
def polynomial(
    key_file: KeyFile, source: FromOption, out: OutOption, passphrase_file: PassFile = None
) -> None:
    """Step 2 (every certificate in): the polynomial commitments and one sealed share for each trustee."""
    with _trustee_side("trustee polynomial"):
        export = _export(source)
        key = _key(key_file, passphrase_file, export.vote)
        _write_message(out, steps.polynomial(export, key, SystemRandomness(), str(source)))
    out_console().print(f"Polynomial written to {out}: give it to the committee.")


@app.command("finish")
def finish(key_file: KeyFile, source: FromOption, out: OutOption, passphrase_file: PassFile = None) -> None:
    """Step 3 (every polynomial in): check the shares received, keep the decryption share, write the
    verification key."""
    with _trustee_side("trustee finish"):
        export = _export(source)
        passphrase = _passphrase(passphrase_file, confirm=False)
        keyfile.read_header(key_file)
        key = keyfile.open_key(key_file, passphrase, export.vote)
        done, msg = steps.finish(export, key, SystemRandomness(), str(source))
        keyfile.update(key_file, done, passphrase)
        _write_message(out, msg)
    out_console().print(
        f"Shares checked; decryption share saved in {key_file}; verification key written to {out}."
    )


@app.command("decrypt")
def decrypt(
    key_file: KeyFile,
    source: FromOption,
    out: OutOption,
    passphrase_file: PassFile = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Worker processes to verify.")] = None,
) -> None:
    """After the close: verify every local's archive, then write this trustee's partial decryptions."""
    with _trustee_side("trustee decrypt"):
        export = _export(source)
        key = _key(key_file, passphrase_file, export.vote)
        msg = steps.decrypt(export, key, SystemRandomness(), str(source), jobs=jobs)
        _write_message(out, msg)
    out_console().print(
        f"Archives of {len(msg.body)} local(s) verified; partial decryptions written to {out}: give it to "
        "the committee."
    )


@app.command("export")
def export(vote: VoteArg, out: OutOption, db: DbOption = DEFAULT_DB) -> None:
    """The committee: write what the trustees' next step needs (public: certificates, polynomials,
    verification keys, and after the close each local's archive)."""
    from strikevote.services import trustees

    with handled("trustee export"), _trustee_side("trustee export"), database(db) as sm:
        keyfile.write_new(out, trustees.export_for_trustee(sm, vote), mode=0o644)
    out_console().print(f"Export of vote {vote} written to {out}: give it to the trustees.")


@app.command("import")
def import_(
    vote: VoteArg,
    message: Annotated[Path, typer.Argument(help="A trustee's message file.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """The committee: check a trustee's message (right vote, real trustee, right step, valid proofs) and
    store it."""
    from strikevote.services import trustees

    with handled("trustee import"), _trustee_side("trustee import"):
        raw = read_file(message, "trustee message")
        with database(db) as sm:
            stored = trustees.import_message(sm, vote, raw, str(message))
    out_console().print(f"Imported {stored} from {message}.")
