"""Errors raised while importing a member roll or reading a frozen snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """One problem in a roll file, located like a compiler message: ``file:line: field: message``.

    ``line`` is the 1-based physical line (CSV) or row (XLSX) where the record starts; the header is line 1
    unless blank lines precede it. ``line`` is ``None`` for problems with the file as a whole (unreadable,
    empty, wrong type); ``field`` is ``None`` when no single column is at fault.
    """

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.field is None:
            return f"{where}: {self.message}"
        return f"{where}: {self.field}: {self.message}"


class RollError(Exception):
    """A roll could not be imported; ``errors`` lists every problem found, in file order.

    ``str()`` gives one line per problem, ready to print for the election committee.
    """

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors: tuple[RowError, ...] = tuple(
            sorted(errors, key=lambda e: (e.line is not None, e.line or 0))
        )
        if not self.errors:
            raise ValueError("RollError needs at least one RowError")
        super().__init__("\n".join(str(e) for e in self.errors))

    @classmethod
    def for_file(cls, file: str, message: str) -> RollError:
        """An error about the file as a whole (no line)."""
        return cls([RowError(file, None, None, message)])


class SnapshotError(ValueError):
    """A serialized roll snapshot is malformed or inconsistent with its own eligibility policy."""
