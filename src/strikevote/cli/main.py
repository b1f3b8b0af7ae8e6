"""The ``strikevote`` command line: thin commands over the services and the verifier."""

from __future__ import annotations

import typer

from strikevote.cli.verify_cmd import verify

app = typer.Typer(
    name="strikevote",
    help="Verifiable union strike-authorization and ratification votes on the Belenios protocol.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("verify")(verify)


def _register_optional() -> None:
    """Sub-apps that depend on the database layer are registered lazily-imported but always present."""
    from strikevote.cli import (
        ballot_cmd,
        credentials_cmd,
        demo_cmd,
        mail_cmd,
        official_cmd,
        result_cmd,
        roll_cmd,
        serve_cmd,
        tally_cmd,
        trustee_cmd,
        vote_cmd,
    )

    app.command("demo")(demo_cmd.demo)
    app.add_typer(roll_cmd.app, name="roll")
    app.add_typer(vote_cmd.app, name="vote")
    app.add_typer(trustee_cmd.app, name="trustee")
    app.add_typer(credentials_cmd.app, name="credentials")
    app.add_typer(ballot_cmd.app, name="ballot")
    app.add_typer(tally_cmd.app, name="tally")
    app.add_typer(result_cmd.app, name="result")
    app.add_typer(mail_cmd.app, name="mail")
    app.add_typer(official_cmd.app, name="official")
    app.command("serve")(serve_cmd.serve)


_register_optional()


if __name__ == "__main__":  # pragma: no cover
    app()
