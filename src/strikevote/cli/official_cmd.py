"""``strikevote official add USERNAME``: an account for the committee console.

The password is read from a hidden prompt (asked twice) or, when standard input is not a terminal, from its
first line; never from the command line, where other users and shell histories would see it.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from strikevote.cli.common import DEFAULT_DB, EXIT_USAGE, DbOption, database, fail, handled, out_console
from strikevote.services.officials import add_official

app = typer.Typer(help="Accounts of the election committee for the web console.", no_args_is_help=True)


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The login name.")],
    db: DbOption = DEFAULT_DB,
) -> None:
    """Create an official; the password comes from a prompt or standard input (Argon2-hashed)."""
    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise fail("official add", "no password on standard input", EXIT_USAGE)
    with handled("official add"), database(db) as sm:
        add_official(sm, username, password, datetime.now(UTC).replace(microsecond=0))
    out_console().print(f"Official [bold]{username}[/bold] can now log in to /console.")
