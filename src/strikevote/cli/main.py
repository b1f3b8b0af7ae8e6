"""The ``strikevote`` command line: thin commands over the services and the verifier.

Each command's module is imported only when that command runs (or when ``--help`` lists them): a ballot cast
does not pay for the verifier, the demo or the mailer.  To add a command, add a line to :data:`COMMANDS`.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import typer
import typer.core

# name -> (module, attribute): an attribute named ``app`` is a group of subcommands, anything else one command.
COMMANDS: dict[str, tuple[str, str]] = {
    "verify": ("strikevote.cli.verify_cmd", "verify"),
    "demo": ("strikevote.cli.demo_cmd", "demo"),
    "roll": ("strikevote.cli.roll_cmd", "app"),
    "vote": ("strikevote.cli.vote_cmd", "app"),
    "trustee": ("strikevote.cli.trustee_cmd", "app"),
    "credentials": ("strikevote.cli.credentials_cmd", "app"),
    "ballot": ("strikevote.cli.ballot_cmd", "app"),
    "tally": ("strikevote.cli.tally_cmd", "app"),
    "result": ("strikevote.cli.result_cmd", "app"),
    "mail": ("strikevote.cli.mail_cmd", "app"),
    "official": ("strikevote.cli.official_cmd", "app"),
    "serve": ("strikevote.cli.serve_cmd", "serve"),
}


def _load(name: str) -> Any:
    module, attr = COMMANDS[name]
    obj = getattr(importlib.import_module(module), attr)
    parent = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    if isinstance(obj, typer.Typer):  # as add_typer would: a group even when it has one subcommand
        parent.add_typer(obj, name=name)
        return typer.main.get_command(parent).commands[name]  # type: ignore[attr-defined]
    parent.command(name)(obj)
    return typer.main.get_command(parent)


class _LazyCommands(MutableMapping[str, Any]):
    """The group's commands, each built from its module on first use."""

    def __init__(self, loaders: dict[str, Callable[[], Any]]) -> None:
        self._loaders = loaders
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            self._loaded[name] = self._loaders[name]()
        return self._loaded[name]

    def __setitem__(self, name: str, cmd: Any) -> None:
        self._loaded[name] = cmd
        self._loaders.setdefault(name, lambda: cmd)

    def __delitem__(self, name: str) -> None:
        del self._loaders[name]
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


class LazyGroup(typer.core.TyperGroup):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        loaders: dict[str, Callable[[], Any]] = {name: functools.partial(_load, name) for name in COMMANDS}
        lazy = _LazyCommands(loaders)
        for name, cmd in self.commands.items():
            lazy[name] = cmd
        self.commands = lazy


app = typer.Typer(
    name="strikevote",
    cls=LazyGroup,
    help="Verifiable union strike-authorization and ratification votes on the Belenios protocol.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main() -> None:
    """Verifiable union strike-authorization and ratification votes on the Belenios protocol."""


if __name__ == "__main__":  # pragma: no cover
    app()
