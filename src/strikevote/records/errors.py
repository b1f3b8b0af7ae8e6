"""The one error of the records layer."""

from __future__ import annotations

__all__ = ["RecordError"]


class RecordError(ValueError):
    """A record (vote.json, result.json) that is not what its format says: ``path`` is the JSON path of the
    offending field (``vote.locals[2].delegates``), ``message`` what is wrong with it; the text is both."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
