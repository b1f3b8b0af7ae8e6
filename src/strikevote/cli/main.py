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
    from strikevote.cli import demo_cmd

    app.command("demo")(demo_cmd.demo)


_register_optional()


if __name__ == "__main__":  # pragma: no cover
    app()
