"""Typed errors of the Belenios record layer."""

from __future__ import annotations


class BeleniosError(Exception):
    """Base class of record-layer errors."""


class FormatError(BeleniosError):
    """A record is not well-formed: invalid JSON, a missing or unexpected field, a wrong type or encoding.

    ``where`` names the file and the field path (``election.json: questions[0].min``).
    """

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class ArchiveError(BeleniosError):
    """An archive cannot be read at all (not a tar, truncated, bad header)."""


class CombinationError(BeleniosError):
    """Not enough (or inconsistent) partial decryptions to decrypt: the tally cannot be combined yet."""


class UnreadableError(FormatError):
    """A record cannot be interpreted at all: JSON syntax error, unknown group, unsupported version."""
