"""The directory a bundle is written to: a new or empty one, or a previous bundle of the same vote, never a
folder that holds anything else (it is published as it is: a key file or a letter in it would be published)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from strikevote.services.errors import ServiceError
from strikevote.verify.layout import BUNDLE_FILES, LOCALS_DIR, PRIVATE_NAMES, extra_files

__all__ = ["BundleDirError", "check_bundle_dir", "clear_bundle"]


class BundleDirError(ServiceError):
    """The bundle directory cannot be used: it is not a directory, or holds more than a bundle (of this vote)."""


def _bundle_vote_id(out: Path) -> str | None:
    """The vote id in ``out/vote.json``, or None when there is none (or it cannot be read)."""
    try:
        vote = json.loads((out / "vote.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = vote.get("id") if isinstance(vote, dict) else None
    return value if isinstance(value, str) else None


def check_bundle_dir(out: Path, vote_id: str | None = None, *, option: str = "--out") -> None:
    """Refuse ``out`` unless it is absent, empty or holds only bundle items (DESIGN.md §3); with ``vote_id``,
    also unless a bundle already there is that vote's. Reads only: nothing is written or removed."""
    if not out.exists():
        return
    if not out.is_dir():
        raise BundleDirError(f"{out}: not a directory")
    extra = extra_files(out)
    if extra:
        hint = ""
        if {x.split("/")[0].rstrip("/") for x in extra} & PRIVATE_NAMES or any(
            x.endswith((".key", ".eml")) for x in extra
        ):
            hint = " (trustee keys, letters or a roll: delete them or move them away, never publish them)"
        raise BundleDirError(
            f"{out}: neither empty nor a vote bundle: it holds {', '.join(extra)}{hint}; choose another {option}"
        )
    if vote_id is not None and (out / "vote.json").exists():
        found = _bundle_vote_id(out)
        if found != vote_id:
            what = f"the bundle of vote {found!r}" if found else "a vote.json that names no vote"
            raise BundleDirError(f"{out}: holds {what}, not of {vote_id!r}; choose another {option}")


def clear_bundle(out: Path) -> None:
    """Remove a previous bundle's items from ``out`` (after :func:`check_bundle_dir` accepted it)."""
    for name in (*BUNDLE_FILES, LOCALS_DIR):
        item = out / name
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink(missing_ok=True)
