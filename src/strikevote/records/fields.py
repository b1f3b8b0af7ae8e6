"""Readers of the JSON values a record is made of, used by the codecs (:mod:`strikevote.records.vote`,
:mod:`strikevote.records.result`) and nowhere else: each takes the value and its JSON path and returns it typed,
or raises :class:`~strikevote.records.errors.RecordError` naming the path.

Types are strict, as the writers produce them: ``true`` is not a count, ``1`` is not a share (``1.0``), and a
date or a time must be written as :meth:`~datetime.datetime.isoformat` writes it, so that a record re-encodes
to the very bytes it was read from (vote.json is hashed: :mod:`strikevote.records.commitment`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from strikevote.records.errors import RecordError

__all__ = [
    "choice",
    "count",
    "day",
    "flag",
    "items",
    "moment",
    "obj",
    "share",
    "text",
]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def obj(value: Any, path: str, required: Sequence[str], optional: Collection[str] = ()) -> Mapping[str, Any]:
    """A JSON object holding every ``required`` key, and no key outside ``required`` and ``optional``."""
    if not isinstance(value, Mapping):
        raise RecordError(path, f"must be an object, got {type(value).__name__}")
    for key in required:
        if key not in value:
            raise RecordError(f"{path}.{key}", "missing")
    for key in value:
        if key not in required and key not in optional:
            raise RecordError(f"{path}.{key}", "unknown field")
    return value


def items(value: Any, path: str, *, non_empty: bool = False) -> Sequence[Any]:
    """A JSON list (not a string)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise RecordError(path, f"must be a list, got {type(value).__name__}")
    if non_empty and not value:
        raise RecordError(path, "must not be empty")
    return value


def text(value: Any, path: str, *, empty: bool = False) -> str:
    """A string; not blank unless ``empty``."""
    if not isinstance(value, str):
        raise RecordError(path, f"must be a string, got {type(value).__name__}")
    if not empty and not value.strip():
        raise RecordError(path, "must not be empty")
    return value


def choice(value: Any, path: str, choices: Collection[str]) -> str:
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise RecordError(path, f"must be one of {', '.join(choices)}, got {_shown(value)}")
    return value


def count(value: Any, path: str) -> int:
    """A non-negative integer (a boolean is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(path, f"must be an integer, got {_shown(value)}")
    if value < 0:
        raise RecordError(path, f"must not be negative, got {value}")
    return value


def flag(value: Any, path: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise RecordError(path, f"must be true or false, got {_shown(value)}")
    return value


def share(value: Any, path: str) -> float:
    """A share between 0 and 1, written as a JSON number with a decimal point (``0.75``, ``1.0``)."""
    if not isinstance(value, float) or not math.isfinite(value):
        raise RecordError(path, f"must be a decimal number, got {_shown(value)}")
    if not 0.0 <= value <= 1.0:
        raise RecordError(path, f"must be a share between 0 and 1, got {value!r}")
    return value


def moment(value: Any, path: str) -> datetime:
    """A date and time with its UTC offset, in ISO 8601 as :meth:`datetime.isoformat` writes it."""
    raw = text(value, path)
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise RecordError(path, f"must be an ISO 8601 date and time, got {_shown(raw)}") from None
    if at.tzinfo is None:
        raise RecordError(path, f"must carry its UTC offset, got {_shown(raw)}")
    if at.isoformat() != raw:
        raise RecordError(path, f"must be written {at.isoformat()!r}, got {_shown(raw)}")
    return at


def day(value: Any, path: str) -> date:
    """A date, ``YYYY-MM-DD``."""
    raw = text(value, path)
    try:
        when = date.fromisoformat(raw)
    except ValueError:
        raise RecordError(path, f"must be a date (YYYY-MM-DD), got {_shown(raw)}") from None
    if when.isoformat() != raw:
        raise RecordError(path, f"must be written {when.isoformat()!r}, got {_shown(raw)}")
    return when
