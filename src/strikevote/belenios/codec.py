"""Belenios' compact JSON (specification §"Conventions"): no whitespace, fields in the ATD declaration order.

Hashes are taken over serialized strings, so the byte form matters.  ``dumps`` produces it from dicts built in
field order; ``loads_object`` parses and checks the shape of what comes from outside, naming the offending field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from strikevote.belenios.errors import FormatError, UnreadableError
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group


def dumps(obj: Any) -> str:
    """Compact JSON as Belenios (atdgen/yojson) writes it: UTF-8 kept, no spaces."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def loads(raw: str | bytes, where: str) -> Any:
    try:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8")
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers integers over Python's 4300-digit conversion limit; RecursionError, deep nesting
        raise UnreadableError(where, f"invalid JSON ({exc})") from None


def text(raw: bytes, where: str) -> str:
    """A data object's bytes as text: Belenios files are UTF-8 JSON (specification §"Conventions")."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableError(where, f"not valid UTF-8 (byte {exc.start})") from None


def decimal(value: str, where: str, *, max_digits: int) -> int:
    """A non-negative decimal integer written as a string: ASCII digits only (``str.isdigit`` also accepts
    ``'²'`` and other Unicode digits) and at most ``max_digits`` long, checked before ``int`` is called."""
    if not value or len(value) > max_digits or not value.isascii() or not value.isdigit():
        raise FormatError(
            where, f"expected a decimal integer of at most {max_digits} digits, got {value!r:.40}"
        )
    return int(value)


def check_object(obj: Any, where: str, fields: Sequence[str], optional: Sequence[str] = ()) -> dict[str, Any]:
    """Check that ``obj`` is an object with the declared ``fields`` in order; those in ``optional`` may be absent."""
    if not isinstance(obj, dict):
        raise FormatError(where, f"expected an object, got {type(obj).__name__}")
    for key in obj:
        if key not in fields:
            raise FormatError(f"{where}.{key}", "unexpected field")
    for key in fields:
        if key not in obj and key not in optional:
            raise FormatError(f"{where}.{key}", "missing field")
    order = [k for k in fields if k in obj]
    if list(obj) != order:
        raise FormatError(where, f"fields out of order: {list(obj)} (expected {order})")
    return obj


def get_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise FormatError(f"{where}.{key}", "expected a string")
    return value


def get_int(obj: dict[str, Any], key: str, where: str, *, minimum: int | None = None) -> int:
    value = obj[key]
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(f"{where}.{key}", "expected an integer")
    if minimum is not None and value < minimum:
        raise FormatError(f"{where}.{key}", f"must be at least {minimum}")
    return value


def get_list(obj: Any, key: str | None, where: str) -> list[Any]:
    value = obj[key] if key is not None else obj
    if not isinstance(value, list):
        raise FormatError(f"{where}.{key}" if key else where, "expected a list")
    return value


def decode_element(group: Group[Any], value: Any, where: str, *, identity_ok: bool = False) -> Any:
    """A group element from outside: a string, canonical, validated; errors name the field."""
    if not isinstance(value, str):
        raise FormatError(where, "expected a group element string")
    try:
        return group.decode(value, identity_ok=identity_ok)
    except CryptoError as exc:
        raise FormatError(where, str(exc)) from None
