"""Independent verifier: imports crypto, belenios, records and rules only (never services, db or web).

The names below are imported on first use, so that importing :mod:`strikevote.verify.layout` (the bundle's
file names, which the services share) does not load the whole verifier.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strikevote.verify.archive import ArchiveFacts, verify_archive
    from strikevote.verify.checks import Outcome, Report

__all__ = ["ArchiveFacts", "Outcome", "Report", "verify_archive"]
_HOME = {"ArchiveFacts": "archive", "verify_archive": "archive", "Outcome": "checks", "Report": "checks"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'strikevote.verify' has no attribute {name!r}")
    return getattr(importlib.import_module(f"strikevote.verify.{_HOME[name]}"), name)
