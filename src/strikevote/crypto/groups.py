"""Group lookup by Belenios name (Belenios ``Group.of_string``)."""

from __future__ import annotations

from typing import Any

from strikevote.crypto.ed25519 import ED25519
from strikevote.crypto.errors import UnknownGroup
from strikevote.crypto.ff import BELENIOS_2048
from strikevote.crypto.group import Group

GROUPS: dict[str, Group[Any]] = {ED25519.name: ED25519, BELENIOS_2048.name: BELENIOS_2048}


def group_by_name(name: str) -> Group[Any]:
    try:
        return GROUPS[name]
    except (KeyError, TypeError):
        raise UnknownGroup(f"unknown group {name!r} (supported: {', '.join(GROUPS)})") from None
