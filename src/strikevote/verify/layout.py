"""What a vote bundle directory holds (DESIGN.md §3), and nothing else.

Shared by the publishers (``result publish``, ``demo``), which refuse to write a bundle into a directory that
holds anything else, and by the verifier, which names any other file (``bundle.extra-files``): a bundle is
published as the directory it is, so a stray key file or credential letter in it would be published too.
Pure: imports nothing of strikevote.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

__all__ = ["BUNDLE_FILES", "LOCALS_DIR", "PRIVATE_NAMES", "extra_files", "is_local_item"]

BUNDLE_FILES: Final = ("vote.json", "result.json", "report.html")
LOCALS_DIR: Final = "locals"
# locals/<id>.bel (the Belenios archive) and locals/<id>.proofs.json (strikevote's strong decryption proofs)
_LOCAL_ITEM: Final = re.compile(r"[A-Za-z0-9_-]+\.(?:bel|proofs\.json)")
# What the demo (or a committee member) keeps next to a vote and must never publish.
PRIVATE_NAMES: Final = frozenset({"trustees", "outbox", "roll.csv", "strikevote.db", "PRIVATE-README.txt"})


def is_local_item(name: str) -> bool:
    """``name`` is a file the bundle's ``locals/`` directory may hold."""
    return _LOCAL_ITEM.fullmatch(name) is not None


def extra_files(path: Path) -> list[str]:
    """Every entry of the directory ``path`` that is not a bundle item, as sorted paths relative to it
    (``"notes.txt"``, ``"locals/t1.key"``, ``"trustees/"`` for a directory); ``[]`` for a bare bundle, or
    for a directory that does not exist."""
    if not path.is_dir():
        return []
    extra: list[str] = []
    for entry in path.iterdir():
        name = entry.name
        if name == LOCALS_DIR and entry.is_dir() and not entry.is_symlink():
            for item in entry.iterdir():
                if not (is_local_item(item.name) and item.is_file() and not item.is_symlink()):
                    extra.append(f"{LOCALS_DIR}/{item.name}{'/' if item.is_dir() else ''}")
        elif not (name in BUNDLE_FILES and entry.is_file() and not entry.is_symlink()):
            extra.append(f"{name}{'/' if entry.is_dir() else ''}")
    return sorted(extra)
