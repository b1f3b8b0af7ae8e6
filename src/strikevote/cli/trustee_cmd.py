"""``strikevote trustee init | polynomial | finish | decrypt``: each trustee's steps, with their own key file.

The key file never leaves the trustee's machine in a real vote; the server receives only public messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from strikevote.cli.common import DEFAULT_DB, EXIT_USAGE, DbOption, database, fail, handled, out_console
from strikevote.crypto.randomness import SystemRandomness
from strikevote.services import trustees

app = typer.Typer(help="Trustees: the k-of-n key ceremony and partial decryptions.", no_args_is_help=True)

VoteArg = Annotated[str, typer.Argument(help="The vote id.")]
KeyFile = Annotated[
    Path, typer.Option("--key-file", help="This trustee's private key file (keep it safe and offline).")
]


@app.command("init")
def init(
    vote: VoteArg,
    index: Annotated[int, typer.Option("--index", help="This trustee's seat, 1..n.", min=1)],
    key_file: KeyFile,
    db: DbOption = DEFAULT_DB,
) -> None:
    """Step 1: create the trustee's secret (written to --key-file) and publish its certificate."""
    with handled("trustee init"), database(db) as sm:
        trustees.init_trustee(sm, vote, index, key_file, SystemRandomness())
    out_console().print(
        f"Trustee {index}: certificate published; secret key written to {key_file} (mode 0600).\n"
        "Next, once every trustee has done this: `strikevote trustee polynomial`."
    )


@app.command("polynomial")
def polynomial(vote: VoteArg, key_file: KeyFile, db: DbOption = DEFAULT_DB) -> None:
    """Step 2: publish the polynomial commitments and one sealed share for every trustee."""
    _existing(key_file, "trustee polynomial")
    with handled("trustee polynomial"), database(db) as sm:
        trustees.publish_polynomial(sm, vote, key_file, SystemRandomness())
    out_console().print(
        "Polynomial published.\nNext, once every trustee has done this: `strikevote trustee finish`."
    )


@app.command("finish")
def finish(vote: VoteArg, key_file: KeyFile, db: DbOption = DEFAULT_DB) -> None:
    """Step 3: check the shares received, keep the decryption share, publish the verification key."""
    _existing(key_file, "trustee finish")
    with handled("trustee finish"), database(db) as sm:
        trustees.finish_trustee(sm, vote, key_file, SystemRandomness())
    out_console().print(
        f"Shares checked; decryption share saved in {key_file}; verification key published.\n"
        "Next, once every trustee has done this: `strikevote vote setup`."
    )


@app.command("decrypt")
def decrypt(vote: VoteArg, key_file: KeyFile, db: DbOption = DEFAULT_DB) -> None:
    """After the close: this trustee's partial decryption of every local's tally, with proofs."""
    _existing(key_file, "trustee decrypt")
    with handled("trustee decrypt"), database(db) as sm:
        n = trustees.partial_decrypt(sm, vote, key_file, SystemRandomness())
    out_console().print(
        f"Partial decryptions of {n} local tally(ies) published and verified.\n"
        "Next, once k trustees have done this: `strikevote result decrypt`."
    )


def _existing(key_file: Path, command: str) -> None:
    if not key_file.is_file():
        raise fail(command, f"{key_file}: no such key file", EXIT_USAGE)
