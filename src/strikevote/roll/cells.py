"""The roll's cell parsers: one per column (:data:`PARSERS`), each turning a CSV or XLSX cell into a member's
field or raising :class:`CellError` with a message naming the value (the file format is in
:mod:`strikevote.roll.importer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Final

from strikevote.roll.model import (
    email_problem,
    member_id_problem,
    normalize_status,
    status_problem,
    text_problem,
)

__all__ = ["PARSERS", "CellError", "cell_text"]


_LANGUAGE_NAMES: Final = {
    "en": "en",
    "english": "en",
    "inglés": "en",
    "ingles": "en",
    "es": "es",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
}


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


_TRUE: Final = frozenset({"yes", "y", "true", "t", "1"})


_FALSE: Final = frozenset({"no", "n", "false", "f", "0", ""})


class CellError(Exception):
    """A cell value is unusable; the message names the value."""


def cell_text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        raise CellError(f"expected text, found the logical value {raw}")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else str(raw)
    if isinstance(raw, date):
        shown = raw.date() if isinstance(raw, datetime) and raw.time() == time() else raw
        raise CellError(f"expected text, found the date {shown.isoformat()}")
    raise CellError(f"expected text, found {raw!r}")


def _required_text(raw: object, _locals: frozenset[str] | None = None) -> str:
    value = cell_text(raw)
    problem = text_problem(value)
    if problem:
        raise CellError(problem)
    return value


def _member_id(raw: object, _locals: frozenset[str] | None) -> str:
    value = cell_text(raw)
    problem = member_id_problem(value)
    if problem:
        raise CellError(problem)
    return value


def _local(raw: object, known_locals: frozenset[str] | None) -> str:
    value = _required_text(raw)
    if known_locals is not None and value not in known_locals:
        listed = sorted(known_locals)
        shown = ", ".join(listed[:12]) + (", …" if len(listed) > 12 else "")
        raise CellError(f"unknown local {value!r} (known locals: {shown})")
    return value


def _email(raw: object, _locals: frozenset[str] | None) -> str | None:
    value = cell_text(raw)
    if not value:
        return None
    problem = email_problem(value)
    if problem:
        raise CellError(problem)
    return value


def _status(raw: object, _locals: frozenset[str] | None) -> str:
    value = normalize_status(_required_text(raw))
    problem = status_problem(value)
    if problem:
        raise CellError(problem)
    return value


def _paid_through(raw: object, _locals: frozenset[str] | None) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        raise CellError(f"expected a date, found the logical value {raw}")
    if isinstance(raw, int | float):
        raise CellError(f"{raw!r} is a number, not a date: format the cell as a date or write YYYY-MM-DD")
    if not isinstance(raw, str):
        raise CellError(f"expected a date, found {raw!r}")
    value = raw.strip()
    if not value:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise CellError(f"{value!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CellError(f"{value!r} is not a valid calendar date") from None


def _language(raw: object, _locals: frozenset[str] | None) -> str:
    value = cell_text(raw).lower()
    if not value:
        return "en"
    code = _LANGUAGE_NAMES.get(value)
    if code is None:
        raise CellError(f"{value!r} is not a language of the letters (en or es)")
    return code


def _checkoff(raw: object, _locals: frozenset[str] | None) -> bool:
    if raw is None:
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise CellError(f"{raw!r} is not yes or no (use yes, no, true, false, 1 or 0)")


PARSERS: Final[dict[str, Callable[[object, frozenset[str] | None], object]]] = {
    "member_id": _member_id,
    "name": _required_text,
    "email": _email,
    "local": _local,
    "status": _status,
    "dues_paid_through": _paid_through,
    "dues_checkoff": _checkoff,
    "language": _language,
}
