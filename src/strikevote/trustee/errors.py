"""Errors of the trustee's side; each message names the file it is about."""

from __future__ import annotations


class TrusteeFileError(Exception):
    """A file given to a trustee command is unreadable, damaged, of another vote, or the passphrase is wrong."""


class TrusteeRefusal(Exception):
    """The files are readable, but the trustee must not go on (e.g. the archive does not verify)."""
