"""Typed errors of the vote lifecycle.  Each names what was wrong, so commands print one clear line."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: a request the services refuse; nothing stored is changed."""


class DefinitionError(ServiceError):
    """A vote definition (TOML) is invalid; the message names the file and key."""


class StateError(ServiceError):
    """The vote is not in the state this step needs (e.g. casting after the close)."""


class NotFound(ServiceError):
    """No such vote, local or trustee."""


class Unavailable(ServiceError):
    """The database could not be reached, or kept refusing the transaction after retries; nothing was changed
    and the same request may be made again later (the CLI's exit 3, the API's 503)."""


class BallotRejected(ServiceError):
    """A ballot was refused; ``reason`` is a stable code (invalid, wrong-election, unknown-credential, revote,
    duplicate, closed, not-open-yet, busy).  ``busy``: the database could not commit it after retries (nothing was
    stored; try again).  An identical re-send is not refused: it gets the original receipt."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"ballot rejected ({reason}): {message}")
        self.reason = reason


class TrusteeError(ServiceError):
    """A trustee step is refused: unknown trustee, wrong key file, invalid share."""


class KeyFileError(TrusteeError):
    """A trustee key file that cannot be read, or is not a trustee key file of this vote (bad input)."""
