"""Independent verifier: imports crypto, belenios and rules only (never services, db or web)."""

from strikevote.verify.archive import ArchiveFacts, verify_archive
from strikevote.verify.checks import Check, Report

__all__ = ["ArchiveFacts", "Check", "Report", "verify_archive"]
